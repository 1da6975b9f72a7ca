package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/webhook"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) webhookRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/webhooks", Permission: PermRead, Tag: "webhooks", Summary: "List webhooks", List: true, Query: []param{boolParam("is_enabled", "")}, Status: fiber.StatusOK, Response: "WebhookPage", handle: a.listWebhooks},
		{Method: fiber.MethodPost, Path: "/api/v1/webhooks", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Subscribe an endpoint; the secret is in this answer only", Body: "WebhookCreate", Status: fiber.StatusCreated, Response: "WebhookCreated", handle: a.createWebhook},
		{Method: fiber.MethodGet, Path: "/api/v1/webhooks/{id}", Permission: PermRead, Tag: "webhooks", Summary: "Read a webhook", Status: fiber.StatusOK, Response: "Webhook", handle: a.getWebhook},
		{Method: fiber.MethodPatch, Path: "/api/v1/webhooks/{id}", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Change a webhook", Body: "WebhookPatch", Status: fiber.StatusOK, Response: "Webhook", handle: a.updateWebhook},
		{Method: fiber.MethodDelete, Path: "/api/v1/webhooks/{id}", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Delete a webhook", Status: fiber.StatusNoContent, handle: a.deleteWebhook},
		{Method: fiber.MethodGet, Path: "/api/v1/webhooks/{id}/deliveries", Permission: PermReadWebhookDeliveries, Tag: "webhooks", Summary: "A webhook's deliveries, newest first, with every attempt", List: true, Status: fiber.StatusOK, Response: "DeliveryPage", handle: a.listDeliveries},
		{Method: fiber.MethodPost, Path: "/api/v1/webhooks/{id}/test", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Send a webhook.test event to this endpoint", Status: fiber.StatusAccepted, Response: "Accepted", handle: a.testWebhook},
	}
}

type webhookCreateRequest struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
}

type webhookPatchRequest struct {
	URL         *string   `json:"url"`
	EventTypes  *[]string `json:"event_types"`
	Description *string   `json:"description"`
	IsEnabled   *bool     `json:"is_enabled"`
}

func (a *Admin) listWebhooks(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.WebhookFilter{IsEnabled: q.boolean("is_enabled")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListWebhooks.Execute(c.UserContext(), f, page)
	doc := webhookDocFor(c)
	return respond(c, p, err, func(p application.Page[webhook.Endpoint]) pageDoc[webhookDoc] { return pageOf(p, doc) })
}

func (a *Admin) createWebhook(c *fiber.Ctx) error {
	var in webhookCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateWebhook.Execute(c.UserContext(), actor(c), application.NewWebhookInput{URL: in.URL, EventTypes: in.EventTypes, Description: in.Description})
	if err != nil {
		return err
	}
	doc := webhookDocOf(e)
	doc.Secret = e.Secret()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(doc)
}

// webhookDocFor shows the full URL to those who may manage webhooks only.
func webhookDocFor(c *fiber.Ctx) func(webhook.Endpoint) webhookDoc {
	if PermManageWebhooks.Allows(principal(c).Role) {
		return webhookDocOf
	}
	return redactedWebhookDocOf
}

func (a *Admin) getWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetWebhook.Execute(c.UserContext(), id)
		return respond(c, e, err, webhookDocFor(c))
	})
}

func (a *Admin) updateWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in webhookPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateWebhook.Execute(c.UserContext(), actor(c), id, application.WebhookChanges{URL: in.URL, EventTypes: in.EventTypes,
			Description: in.Description, IsEnabled: in.IsEnabled})
		return respond(c, e, err, webhookDocOf)
	})
}

func (a *Admin) deleteWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteWebhook.Execute(c.UserContext(), actor(c), id))
	})
}

func (a *Admin) listDeliveries(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListWebhookDeliveries.Execute(c.UserContext(), id, page)
		return respond(c, p, err, func(p application.Page[application.DeliveryView]) pageDoc[deliveryDoc] {
			return pageOf(p, deliveryDocOf)
		})
	})
}

func (a *Admin) testWebhook(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		// SendTestWebhook answers not_found itself for an unknown or deleted
		// webhook: the outbox locks the webhook's row before it writes.
		if err := a.uc.SendTestWebhook.Execute(c.UserContext(), actor(c), id); err != nil {
			return err
		}
		return c.JSON(accepted)
	})
}

type webhookDoc struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Description    string    `json:"description"`
	EventTypes     []string  `json:"event_types"`
	IsEnabled      bool      `json:"is_enabled"`
	DisabledReason string    `json:"disabled_reason"`
	CreatedBy      *string   `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Secret         string    `json:"secret,omitempty"` // only in the POST answer
}

// redactedWebhookDocOf is a webhook as roles that cannot edit webhooks see
// it: the URL's path and query may be the receiver's credential.
func redactedWebhookDocOf(e webhook.Endpoint) webhookDoc {
	d := webhookDocOf(e)
	d.URL = e.RedactedURL()
	return d
}

func webhookDocOf(e webhook.Endpoint) webhookDoc {
	types := make([]string, 0, len(e.EventTypes()))
	for _, t := range e.EventTypes() {
		types = append(types, string(t))
	}
	return webhookDoc{ID: e.ID().String(), URL: e.URL(), Description: e.Description(), EventTypes: types, IsEnabled: e.IsEnabled(),
		DisabledReason: e.DisabledReason(), CreatedBy: optID(e.CreatedBy()), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
}

type attemptDoc struct {
	Attempt         int       `json:"attempt"`
	AttemptedAt     time.Time `json:"attempted_at"`
	StatusCode      *int      `json:"status_code"`
	DurationMS      int       `json:"duration_ms"`
	Error           string    `json:"error"`
	ResponseSnippet string    `json:"response_snippet"`
}

type deliveryDoc struct {
	ID             string       `json:"id"`
	WebhookID      string       `json:"webhook_id"`
	AuditID        string       `json:"audit_id"`
	EventType      string       `json:"event_type"`
	Status         string       `json:"status"`
	Attempts       int          `json:"attempts"`
	NextAttemptAt  *time.Time   `json:"next_attempt_at"`
	LastAttemptAt  *time.Time   `json:"last_attempt_at"`
	LastStatusCode *int         `json:"last_status_code"`
	LastError      string       `json:"last_error"`
	DeliveredAt    *time.Time   `json:"delivered_at"`
	CreatedAt      time.Time    `json:"created_at"`
	AttemptLog     []attemptDoc `json:"attempt_log"`
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func deliveryDocOf(d application.DeliveryView) deliveryDoc {
	out := deliveryDoc{ID: d.ID.String(), WebhookID: d.WebhookID.String(), AuditID: d.AuditID.String(), EventType: d.EventType,
		Status: string(d.Status), Attempts: d.Attempts, LastAttemptAt: optTime(d.LastAttemptAt), LastStatusCode: optInt(d.LastStatusCode),
		LastError: d.LastError, DeliveredAt: optTime(d.DeliveredAt), CreatedAt: d.CreatedAt.UTC(), AttemptLog: make([]attemptDoc, len(d.AttemptLog))}
	if d.Status == "pending" {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	for i, a := range d.AttemptLog {
		out.AttemptLog[i] = attemptDoc{Attempt: a.Attempt, AttemptedAt: a.AttemptedAt.UTC(), StatusCode: optInt(a.StatusCode),
			DurationMS: a.DurationMS, Error: a.Error, ResponseSnippet: a.ResponseSnippet}
	}
	return out
}
