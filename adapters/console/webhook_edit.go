package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/webhook"
)

// webhooksData is the webhooks page: one page of endpoints, the secret of
// one just created (shown this once) and, after a refusal, the form as typed.
type webhooksData struct {
	listing[webhook.Endpoint]
	Form      webhookForm
	Row       rowRefusal // a refused enable or disable, beside its row
	Cursor    string     // this page's: the row forms post it, so a refusal shows the same page
	NewSecret string
	NewURL    string
}

type webhookForm struct {
	URL, EventTypes, Description string
}

func (k *Console) webhooksPage(c *fiber.Ctx, s *session, status int, v view) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListWebhooks.Execute(c.UserContext(), application.WebhookFilter{}, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	d, _ := v.Data.(webhooksData)
	d.listing = listingOf(c, p)
	d.Cursor = page.Cursor
	d.Row.place(&v, idsOf(p.Items, webhook.Endpoint.ID))
	v.Title, v.Nav, v.Session, v.Data = "Webhooks", "webhooks", s, d
	return k.pages.render(c, status, "webhooks", v)
}

// eventTypes splits the form's comma- or space-separated list; empty is
// none (the API's every-event subscription).
func eventTypes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// createWebhook is POST /api/v1/webhooks; the secret is in this answer only.
func (k *Console) createWebhook(c *fiber.Ctx, s *session) error {
	f := webhookForm{URL: c.FormValue("url"), EventTypes: c.FormValue("event_types"), Description: c.FormValue("description")}
	e, err := k.uc.CreateWebhook.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal),
		application.NewWebhookInput{URL: f.URL, EventTypes: eventTypes(f.EventTypes), Description: f.Description})
	if msg, fields, ok := fieldErrors(err); ok {
		// The API names each bad entry (event_types[2]); the form has one input.
		for name, m := range fields {
			if strings.HasPrefix(name, "event_types[") {
				fields["event_types"] = strings.TrimSpace(fields["event_types"] + " " + name + ": " + m)
			}
		}
		return k.webhooksPage(c, s, fiber.StatusBadRequest, view{Error: msg, Fields: fields, Data: webhooksData{Form: f}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.webhooksPage(c, s, fiber.StatusCreated, view{Data: webhooksData{NewSecret: e.Secret(), NewURL: e.URL()}})
}

// updateWebhook is PATCH /api/v1/webhooks/{id} with is_enabled: the rows'
// enable and disable buttons.
func (k *Console) updateWebhook(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	enabled, err := flag(c, "is_enabled")
	if err == nil {
		_, err = k.uc.UpdateWebhook.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id, application.WebhookChanges{IsEnabled: enabled})
	}
	if msg, fields, ok := fieldErrors(err); ok {
		return k.webhooksPage(c, s, httpapi.ProblemOf(err).Status, view{Data: webhooksData{Row: rowRefusal{ID: id, Error: rowError(msg, fields)}}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/webhooks", fiber.StatusSeeOther)
}

// deleteWebhook is DELETE /api/v1/webhooks/{id}.
func (k *Console) deleteWebhook(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	if err := k.uc.DeleteWebhook.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id); err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/webhooks", fiber.StatusSeeOther)
}
