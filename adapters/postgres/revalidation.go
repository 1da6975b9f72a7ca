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

// Get: see application.RevalidationCatalog. In a transaction the row is
// locked, so an admin's PATCH waits for (or is seen by) the revalidation.
func (c *RevalidationCatalog) Get(ctx context.Context, id domain.ID) (extension.Entry, error) {
	var r extensionRow
	q := conn(ctx, c.db).NewSelect().Model(&r).Where("id = ?", uid(id))
	if _, inTx := ctx.Value(txKey{}).(bun.Tx); inTx {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return extension.Entry{}, translate(err, "catalog entry")
	}
	return r.toDomain(), nil
}

// SaveRevalidation: see application.RevalidationCatalog.
func (c *RevalidationCatalog) SaveRevalidation(ctx context.Context, e extension.Entry) error {
	r := extensionRowFrom(e)
	res, err := conn(ctx, c.db).NewUpdate().Model(r).
		Column("content_sha256", "revalidated_at", "is_blocked", "block_reason", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return translate(err, "catalog entry")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("catalog entry not found")
	}
	return nil
}

// ListRevalidatable: see application.RevalidationCatalog.
func (c *RevalidationCatalog) ListRevalidatable(ctx context.Context) ([]domain.ID, error) {
	var ids []uuid.UUID
	err := conn(ctx, c.db).NewSelect().Model((*extensionRow)(nil)).Column("id").
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
