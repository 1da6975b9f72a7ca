package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// SendTestWebhook sends a webhook.test event to one endpoint
// (POST /api/v1/webhooks/{id}/test), through the outbox like every event, so
// the admin sees it signed, retried and listed among the deliveries.
type SendTestWebhook struct {
	Tx     Transactor
	Outbox Outbox
	Clock  Clock
}

// Execute records the test event and its single delivery. Errors: not_found
// for an unknown or deleted webhook; conflict for a disabled one (enable it
// first: a disabled endpoint receives nothing).
func (uc SendTestWebhook) Execute(ctx context.Context, actor audit.Actor, webhookID domain.ID) error {
	e, err := audit.NewEvent(audit.EventParams{
		Type: audit.WebhookTest, Actor: actor, TargetType: audit.TargetWebhook, TargetID: webhookID,
		Details:   map[string]any{"message": "test event sent on request; no action needed"},
		CreatedAt: uc.Clock.Now(),
	})
	if err != nil {
		return err
	}
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		return uc.Outbox.AppendTo(ctx, e, webhookID)
	})
}
