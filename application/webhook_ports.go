package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/webhook"
)

// WebhookRepository stores webhook endpoints.
type WebhookRepository interface {
	Create(ctx context.Context, e webhook.Endpoint) error
	// Get returns an endpoint that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (webhook.Endpoint, error)
	// Update changes the locked endpoint. Errors: not_found.
	Update(ctx context.Context, id domain.ID, change func(current webhook.Endpoint) (webhook.Endpoint, error)) (webhook.Endpoint, error)
	// Delete soft-deletes the endpoint; its pending deliveries are dropped
	// by the relay. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages endpoints ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f WebhookFilter, page PageRequest) (Page[webhook.Endpoint], error)
}

// WebhookFilter narrows a webhook list.
type WebhookFilter struct {
	IsEnabled *bool
}

// WebhookSecrets generates endpoint signing secrets (whsec_…).
type WebhookSecrets interface {
	Generate() (string, error)
}
