package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/webhook"
)

// GetWebhook reads one endpoint.
type GetWebhook struct{ Hooks WebhookRepository }

// Execute answers the endpoint. Errors: not_found.
func (uc GetWebhook) Execute(ctx context.Context, id domain.ID) (webhook.Endpoint, error) {
	return uc.Hooks.Get(ctx, id)
}

// ListWebhooks pages endpoints.
type ListWebhooks struct{ Hooks WebhookRepository }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListWebhooks) Execute(ctx context.Context, f WebhookFilter, page PageRequest) (Page[webhook.Endpoint], error) {
	return uc.Hooks.List(ctx, f, page)
}
