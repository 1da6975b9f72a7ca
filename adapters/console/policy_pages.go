package console

import (
	"time"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/webhook"
)

func (k *Console) groups(c *fiber.Ctx, s *session) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListGroups.Execute(c.UserContext(), application.GroupFilter{}, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "groups", "Groups", listingOf(c, p))
}

type groupData struct {
	Group       group.Group
	Summary     application.ComplianceSummary
	Assignments []application.Assignment
	Keys        []apikey.Key
	// The next pages of Assignments and Keys, "" on their last.
	AssignmentsNext, KeysNext string
	NewKey                    string // the secret of a key just created, shown once
	NewKeyName                string
	Unexpressible             []string
	Scopes                    []string
	Settings                  settingsForm   // the settings form after a refusal (group_edit.go)
	Assign                    assignmentForm // the assign form after a refusal (assignment_edit.go)
	Pin                       pinForm        // a row's pinned version after a refusal (assignment_edit.go)
}

func (k *Console) groupPage(c *fiber.Ctx, s *session, id domain.ID, status int, v view) error {
	ctx := c.UserContext()
	g, err := k.uc.GetGroup.Execute(ctx, id)
	if err != nil {
		return k.fail(c, s, err)
	}
	d, _ := v.Data.(groupData)
	d.Group = g
	if d.Summary, err = k.uc.GroupCompliance.Execute(ctx, id); err != nil {
		return k.fail(c, s, err)
	}
	// Each list pages on its own cursor: a group with more than a page of
	// either shows a link to the next one, never a silently cut list.
	as, err := k.uc.ListAssignments.Execute(ctx, id, application.PageRequest{Limit: application.MaxPageLimit, Cursor: c.Query("assignments_cursor")})
	if err != nil {
		return k.fail(c, s, err)
	}
	keys, err := k.uc.ListAPIKeys.Execute(ctx, id, application.PageRequest{Limit: application.MaxPageLimit, Cursor: c.Query("keys_cursor")})
	if err != nil {
		return k.fail(c, s, err)
	}
	base := Prefix + "/groups/" + id.String()
	d.AssignmentsNext, d.KeysNext = nextPage(c, base, "assignments_cursor", as.NextCursor), nextPage(c, base, "keys_cursor", keys.NextCursor)
	ex, err := k.uc.ExportGroupPolicy.Execute(ctx, id)
	if err != nil {
		return k.fail(c, s, err)
	}
	_, lost := vscodepolicy.AllowedExtensions(ex.Policy)
	d.Assignments, d.Keys, d.Unexpressible = as.Items, keys.Items, lost
	d.Scopes = []string{string(apikey.ScopeAgent)}
	if s.principal.Role.CanManageUsers() {
		d.Scopes = append(d.Scopes, string(apikey.ScopeRead), string(apikey.ScopeAdmin))
	}
	v.Title, v.Nav, v.Session, v.Data = g.Name(), "groups", s, d
	return k.pages.render(c, status, "group", v)
}

func (k *Console) group(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.groupPage(c, s, id, fiber.StatusOK, view{})
}

// nativePolicy downloads the group's policy in the editors' own format,
// rendered as the API renders it.
func (k *Console) nativePolicy(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	f, err := vscodepolicy.ParseFormat(c.Query("format"))
	if err != nil {
		return k.fail(c, s, err)
	}
	ex, err := k.uc.ExportGroupPolicy.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	r := vscodepolicy.Render(ex.Policy, ex.GroupName, f)
	c.Set(fiber.HeaderContentType, r.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+r.Filename+`"`)
	return c.Send(r.Body)
}

func (k *Console) createAPIKey(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	var expires *time.Time
	name, scope := c.FormValue("name"), c.FormValue("scope")
	key, secret, err := k.uc.CreateAPIKey.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), s.principal.Role, id,
		name, []string{scope}, expires)
	if msg, fields, ok := fieldErrors(err); ok {
		return k.groupPage(c, s, id, fiber.StatusBadRequest, view{Error: msg, Fields: fields})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	// The secret is in this answer only (no-store): it is never shown again.
	return k.groupPage(c, s, id, fiber.StatusCreated, view{Data: groupData{NewKey: secret.String(), NewKeyName: key.Name()}})
}

func (k *Console) revokeAPIKey(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	if err := k.uc.RevokeAPIKey.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), s.principal.Role, id); err != nil {
		return k.fail(c, s, err)
	}
	back := safeNext(c.FormValue("back"))
	return c.Redirect(back, fiber.StatusSeeOther)
}

type blocklistData struct {
	List  listing[blocklist.Entry]
	Types []blocklist.PatternType
	Form  application.NewBlocklistInput
}

func (k *Console) blocklistPage(c *fiber.Ctx, s *session, status int, v view) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListBlocklist.Execute(c.UserContext(), application.BlocklistFilter{}, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	d, _ := v.Data.(blocklistData)
	d.List = listingOf(c, p)
	d.Types = []blocklist.PatternType{blocklist.PatternExact, blocklist.PatternPublisher, blocklist.PatternGlob, blocklist.PatternRegex}
	v.Title, v.Nav, v.Session, v.Data = "Blocklist", "blocklist", s, d
	return k.pages.render(c, status, "blocklist", v)
}

func (k *Console) blocklist(c *fiber.Ctx, s *session) error {
	return k.blocklistPage(c, s, fiber.StatusOK, view{})
}

// createBlock creates a blocklist entry (the Block action's second step, or
// the blocklist page's form); bad input shows the field errors and changes
// nothing.
func (k *Console) createBlock(c *fiber.Ctx, s *session) error {
	in := application.NewBlocklistInput{PatternType: c.FormValue("pattern_type"), Pattern: c.FormValue("pattern"),
		Reason: c.FormValue("reason")}
	_, err := k.uc.CreateBlocklistEntry.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), in)
	if msg, fields, ok := fieldErrors(err); ok {
		return k.blocklistPage(c, s, fiber.StatusBadRequest, view{Error: msg, Fields: fields, Data: blocklistData{Form: in}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/blocklist", fiber.StatusSeeOther)
}

type auditData struct {
	List                        listing[audit.Event]
	EventType, ActorID, GroupID string
	Since, Until                string
}

func (k *Console) auditLog(c *fiber.Ctx, s *session) error {
	q := form{c: c}
	f := application.AuditFilter{ActorID: q.id("actor_id"), GroupID: q.id("group_id")}
	if t := q.str("event_type"); t != "" {
		et, err := audit.ParseEventType(t)
		q.fe.Include("", err)
		f.EventType = et
	}
	f.Since, f.Until = q.time("since"), q.time("until")
	page := q.page()
	if err := q.err(); err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListAuditLog.Execute(c.UserContext(), f, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "audit", "Audit log", auditData{List: listingOf(c, p), EventType: q.str("event_type"),
		ActorID: q.str("actor_id"), GroupID: q.str("group_id"), Since: q.str("since"), Until: q.str("until")})
}

func (k *Console) extensions(c *fiber.Ctx, s *session) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListCatalog.Execute(c.UserContext(), application.CatalogFilter{}, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "extensions", "Extensions", listingOf(c, p))
}

func (k *Console) webhooks(c *fiber.Ctx, s *session) error {
	return k.webhooksPage(c, s, fiber.StatusOK, view{}) // webhook_edit.go
}

type deliveriesData struct {
	Hook webhook.Endpoint
	List listing[application.DeliveryView]
}

// webhookDeliveries is one webhook's deliveries with every attempt.
func (k *Console) webhookDeliveries(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	h, err := k.uc.GetWebhook.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListWebhookDeliveries.Execute(c.UserContext(), id, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.pages.render(c, fiber.StatusOK, "webhook", view{Title: "Webhook deliveries", Nav: "webhooks", Session: s,
		Data: deliveriesData{Hook: h, List: listingOf(c, p)}})
}

func (k *Console) users(c *fiber.Ctx, s *session) error {
	return k.usersPage(c, s, fiber.StatusOK, view{}) // user_edit.go
}
