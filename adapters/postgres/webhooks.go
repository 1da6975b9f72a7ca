package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/webhook"
)

func webhookRowFrom(e webhook.Endpoint) *webhookRow {
	types := make([]string, 0, len(e.EventTypes()))
	for _, t := range e.EventTypes() {
		types = append(types, string(t))
	}
	return &webhookRow{ID: uid(e.ID()), URL: e.URL(), Description: e.Description(), Secret: e.Secret(), EventTypes: types,
		IsEnabled: e.IsEnabled(), DisabledReason: e.DisabledReason(), CreatedBy: uid(e.CreatedBy()),
		CreatedAt: e.CreatedAt(), UpdatedAt: e.UpdatedAt()}
}

func (r *webhookRow) toDomain() webhook.Endpoint {
	enabled := r.IsEnabled
	return webhook.RehydrateEndpoint(webhook.EndpointParams{ID: did(r.ID), URL: r.URL, Description: r.Description,
		Secret: r.Secret, EventTypes: r.EventTypes, IsEnabled: &enabled, DisabledReason: r.DisabledReason,
		CreatedBy: did(r.CreatedBy), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

// WebhookRepository stores webhook endpoints.
type WebhookRepository struct{ db *bun.DB }

var _ application.WebhookRepository = (*WebhookRepository)(nil)

// NewWebhookRepository returns the repository on db.
func NewWebhookRepository(db *bun.DB) *WebhookRepository { return &WebhookRepository{db: db} }

// Create inserts e.
func (r *WebhookRepository) Create(ctx context.Context, e webhook.Endpoint) error {
	_, err := conn(ctx, r.db).NewInsert().Model(webhookRowFrom(e)).
		ExcludeColumn("previous_secret", "previous_secret_expires", "deleted_at").Exec(ctx)
	return translate(err, "webhook")
}

// Get reads an endpoint that is not deleted.
func (r *WebhookRepository) Get(ctx context.Context, id domain.ID) (webhook.Endpoint, error) {
	return getByID(ctx, r.db, id, "webhook", infallible((*webhookRow).toDomain))
}

// Update changes the locked endpoint with change (see updateByID).
func (r *WebhookRepository) Update(ctx context.Context, id domain.ID, change func(webhook.Endpoint) (webhook.Endpoint, error)) (webhook.Endpoint, error) {
	return updateByID(ctx, r.db, id, "webhook", infallible((*webhookRow).toDomain), change, r.store)
}

// store writes what an admin may change; the secrets are the workers' and
// the generator's business and are left alone.
func (r *WebhookRepository) store(ctx context.Context, e webhook.Endpoint) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(webhookRowFrom(e)).
		Column("url", "description", "event_types", "is_enabled", "disabled_reason", "updated_at").WherePK().Exec(ctx)
	return affectedOne(res, err, "webhook")
}

// Delete soft-deletes the endpoint.
func (r *WebhookRepository) Delete(ctx context.Context, id domain.ID, at time.Time) error {
	return softDelete[webhookRow](ctx, conn(ctx, r.db), id, at, "webhook")
}

// List pages endpoints by id.
func (r *WebhookRepository) List(ctx context.Context, f application.WebhookFilter, page application.PageRequest) (application.Page[webhook.Endpoint], error) {
	q := conn(ctx, r.db).NewSelect().Model((*webhookRow)(nil))
	if f.IsEnabled != nil {
		q = q.Where("is_enabled = ?", *f.IsEnabled)
	}
	return listByID(ctx, q, "id", page, func(r *webhookRow) uuid.UUID { return r.ID }, infallible((*webhookRow).toDomain))
}
