package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/webhook"
)

// CreateWebhook subscribes an HTTPS endpoint to audit events. The signing
// secret is generated here and answered once; afterwards it is only used to
// sign deliveries.
type CreateWebhook struct {
	Tx      Transactor
	Hooks   WebhookRepository
	Guard   TargetGuard
	Secrets WebhookSecrets
	Audit   AuditLog
	Clock   Clock
}

// NewWebhookInput is the POST body.
type NewWebhookInput struct {
	URL         string
	EventTypes  []string
	Description string
}

// Execute creates the endpoint. Errors: invalid (every bad field, a private target).
func (uc CreateWebhook) Execute(ctx context.Context, actor audit.Actor, in NewWebhookInput) (_ webhook.Endpoint, err error) {
	ctx, obs := observe(ctx, "CreateWebhook")
	defer obs.end(&err)
	secret, err := uc.Secrets.Generate()
	if err != nil {
		return webhook.Endpoint{}, err
	}
	var fe domain.FieldErrors
	e, err := webhook.NewEndpoint(webhook.EndpointParams{URL: in.URL, Description: in.Description, Secret: secret,
		EventTypes: in.EventTypes, CreatedBy: userID(actor), CreatedAt: uc.Clock.Now()})
	fe.Include("", err)
	if err == nil {
		fe.Include("", uc.Guard.Check("url", e.URL()))
	}
	if err := fe.Err("invalid webhook"); err != nil {
		return webhook.Endpoint{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Hooks.Create(ctx, e); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.WebhookCreated, Actor: actor,
			TargetType: audit.TargetWebhook, TargetID: e.ID(), Details: map[string]any{"after": webhookDetails(e)}})
	})
	return e, err
}
