package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteWebhook soft-deletes an endpoint; nothing more is delivered to it.
type DeleteWebhook struct {
	Tx    Transactor
	Hooks WebhookRepository
	Audit AuditLog
	Clock Clock
}

// Execute deletes the endpoint. Errors: not_found (also when already deleted).
func (uc DeleteWebhook) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteWebhook")
	defer obs.end(&err)
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err := uc.Hooks.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.Hooks.Delete(ctx, id, uc.Clock.Now()); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.WebhookDeleted, Actor: actor,
			TargetType: audit.TargetWebhook, TargetID: id, Details: map[string]any{"before": webhookDetails(e)}})
	})
}
