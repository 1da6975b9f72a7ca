package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// CatalogRepository stores the catalog (table extensions).
type CatalogRepository struct{ db *bun.DB }

var _ application.CatalogRepository = (*CatalogRepository)(nil)

// NewCatalogRepository returns the repository on db.
func NewCatalogRepository(db *bun.DB) *CatalogRepository { return &CatalogRepository{db: db} }

// Create inserts e; an extension id already in the catalog is a conflict.
func (r *CatalogRepository) Create(ctx context.Context, e extension.Entry) error {
	_, err := conn(ctx, r.db).NewInsert().Model(catalogEntryRowFrom(e)).ExcludeColumn("deleted_at").Exec(ctx)
	return translate(err, "catalog entry for this extension id")
}

// Get reads an entry that is not deleted.
func (r *CatalogRepository) Get(ctx context.Context, id domain.ID) (extension.Entry, error) {
	return getByID(ctx, r.db, id, "catalog entry", infallible((*catalogEntryRow).toDomain))
}

// Update changes the locked entry with change (see updateByID).
func (r *CatalogRepository) Update(ctx context.Context, id domain.ID, change func(extension.Entry) (extension.Entry, error)) (extension.Entry, error) {
	return updatePolicyRow(ctx, r.db, "extensions", id, "catalog entry", infallible((*catalogEntryRow).toDomain), change, r.store)
}

// store writes every column but created_at.
func (r *CatalogRepository) store(ctx context.Context, e extension.Entry) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(catalogEntryRowFrom(e)).ExcludeColumn("id", "created_at", "deleted_at").WherePK().Exec(ctx)
	if IsUniqueViolation(err) {
		return domain.Conflict("catalog entry for this extension id already exists")
	}
	return affectedOne(res, err, "catalog entry")
}

// Delete soft-deletes the entry and removes its assignments (group_extensions
// has no soft delete), answering the groups that had it.
func (r *CatalogRepository) Delete(ctx context.Context, id domain.ID, at time.Time) ([]domain.ID, error) {
	db := conn(ctx, r.db)
	if err := softDelete[catalogEntryRow](ctx, db, id, at, "catalog entry"); err != nil {
		return nil, err
	}
	var groups []uuid.UUID
	_, err := db.NewDelete().Model((*assignmentRow)(nil)).Where("extension_id = ?", uid(id)).Returning("group_id").Exec(ctx, &groups)
	out := make([]domain.ID, len(groups))
	for i, g := range groups {
		out[i] = did(g)
	}
	return out, err
}

// List pages entries by id.
func (r *CatalogRepository) List(ctx context.Context, f application.CatalogFilter, page application.PageRequest) (application.Page[extension.Entry], error) {
	q := conn(ctx, r.db).NewSelect().Model((*catalogEntryRow)(nil))
	if f.ExtensionID != "" {
		q = q.Where("extension_id = ?", f.ExtensionID.String())
	}
	if f.Publisher != "" {
		q = q.Where("publisher = ?", f.Publisher)
	}
	if f.IsBlocked != nil {
		q = q.Where("is_blocked = ?", *f.IsBlocked)
	}
	return listByID(ctx, q, "id", page, func(r *catalogEntryRow) uuid.UUID { return r.ID }, infallible((*catalogEntryRow).toDomain))
}
