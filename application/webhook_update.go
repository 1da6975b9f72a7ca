package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/webhook"
)

// UpdateWebhook changes an endpoint's URL, description, subscriptions or
// whether it is enabled (re-enabling one the worker disabled).
type UpdateWebhook struct {
	Tx    Transactor
	Hooks WebhookRepository
	Guard TargetGuard
	Audit AuditLog
	Clock Clock
}

// WebhookChanges is the PATCH body: nil fields stay.
type WebhookChanges struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	IsEnabled   *bool
}

// Execute applies the changes. Errors: not_found, invalid.
func (uc UpdateWebhook) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in WebhookChanges) (_ webhook.Endpoint, err error) {
	ctx, obs := observe(ctx, "UpdateWebhook")
	defer obs.end(&err)
	var before, next webhook.Endpoint
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		// Patched on the locked row: a disable by the delivery worker
		// committed meanwhile is seen, not overwritten.
		next, err = uc.Hooks.Update(ctx, id, func(current webhook.Endpoint) (webhook.Endpoint, error) {
			before = current
			return uc.apply(current, in)
		})
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.WebhookUpdated, Actor: actor,
			TargetType: audit.TargetWebhook, TargetID: id,
			Details: map[string]any{"before": webhookDetails(before), "after": webhookDetails(next)}})
	})
	return next, err
}

func (uc UpdateWebhook) apply(e webhook.Endpoint, in WebhookChanges) (webhook.Endpoint, error) {
	next, err := e.WithChanges(webhook.EndpointPatch{URL: in.URL, Description: in.Description,
		EventTypes: in.EventTypes, IsEnabled: in.IsEnabled, At: uc.Clock.Now()})
	if err == nil && in.URL != nil {
		err = uc.Guard.Check("url", next.URL())
	}
	return next, err
}
