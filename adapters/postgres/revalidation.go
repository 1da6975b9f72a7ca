package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// RevalidationCatalog is the catalog as checksum revalidation reads and
// writes it: it touches only the columns revalidation owns.
type RevalidationCatalog struct{ db *bun.DB }

var _ application.RevalidationCatalog = (*RevalidationCatalog)(nil)

// NewRevalidationCatalog returns the repository on db.
func NewRevalidationCatalog(db *bun.DB) *RevalidationCatalog { return &RevalidationCatalog{db: db} }

// Get: see application.RevalidationCatalog.
func (c *RevalidationCatalog) Get(ctx context.Context, id domain.ID) (extension.Entry, error) {
	return getByID(ctx, c.db, id, "catalog entry", infallible((*catalogEntryRow).toDomain))
}

// Update: see application.RevalidationCatalog. The row is locked (see
// updateByID), so an admin's PATCH waits for the revalidation and then
// changes the entry it blocked, or the revalidation sees the admin's pin.
func (c *RevalidationCatalog) Update(ctx context.Context, id domain.ID, change func(extension.Entry) (extension.Entry, error)) (extension.Entry, error) {
	return updatePolicyRow(ctx, c.db, "extensions", id, "catalog entry", infallible((*catalogEntryRow).toDomain), change, c.store)
}

// store writes only the columns revalidation owns.
func (c *RevalidationCatalog) store(ctx context.Context, e extension.Entry) error {
	_, err := conn(ctx, c.db).NewUpdate().Model(catalogEntryRowFrom(e)).
		Column("content_sha256", "revalidated_at", "is_blocked", "block_reason", "updated_at").
		WherePK().Exec(ctx)
	return translate(err, "catalog entry")
}

// ListRevalidatable: see application.RevalidationCatalog.
func (c *RevalidationCatalog) ListRevalidatable(ctx context.Context) ([]domain.ID, error) {
	var ids []uuid.UUID
	err := conn(ctx, c.db).NewSelect().Model((*catalogEntryRow)(nil)).Column("id").
		Where("pinned_version IS NOT NULL AND sha256_checksum IS NOT NULL AND marketplace_url IS NOT NULL").
		Where("marketplace_url <> '' AND sha256_checksum <> ''").
		OrderExpr("id").Scan(ctx, &ids)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := make([]domain.ID, len(ids))
	for i, id := range ids {
		out[i] = did(id)
	}
	return out, nil
}
