package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/webhook"
)

// GetWebhook reads one endpoint.
type GetWebhook struct{ Hooks WebhookRepository }

// Execute answers the endpoint. Errors: not_found.
func (uc GetWebhook) Execute(ctx context.Context, id domain.ID) (_ webhook.Endpoint, err error) {
	ctx, obs := observe(ctx, "GetWebhook")
	defer obs.end(&err)
	return uc.Hooks.Get(ctx, id)
}

// ListWebhooks pages endpoints.
type ListWebhooks struct{ Hooks WebhookRepository }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListWebhooks) Execute(ctx context.Context, f WebhookFilter, page PageRequest) (_ Page[webhook.Endpoint], err error) {
	ctx, obs := observe(ctx, "ListWebhooks")
	defer obs.end(&err)
	return uc.Hooks.List(ctx, f, page)
}
