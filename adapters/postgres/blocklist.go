package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// BlocklistRepository stores blocklist entries.
type BlocklistRepository struct{ db *bun.DB }

var _ application.BlocklistRepository = (*BlocklistRepository)(nil)

// NewBlocklistRepository returns the repository on db.
func NewBlocklistRepository(db *bun.DB) *BlocklistRepository { return &BlocklistRepository{db: db} }

// Create inserts e; the same type and pattern twice is a conflict.
func (r *BlocklistRepository) Create(ctx context.Context, e blocklist.Entry) error {
	_, err := conn(ctx, r.db).NewInsert().Model(blocklistRowFrom(e)).ExcludeColumn("deleted_at").Exec(ctx)
	return translate(err, "blocklist entry with this pattern")
}

// Get reads an entry that is not deleted.
func (r *BlocklistRepository) Get(ctx context.Context, id domain.ID) (blocklist.Entry, error) {
	return getByID(ctx, r.db, id, "blocklist entry", (*blocklistRow).toDomain)
}

// Update changes the locked entry with change (see updateByID).
func (r *BlocklistRepository) Update(ctx context.Context, id domain.ID, change func(blocklist.Entry) (blocklist.Entry, error)) (blocklist.Entry, error) {
	return updatePolicyRow(ctx, r.db, "blocklist", id, "blocklist entry", (*blocklistRow).toDomain, change, r.store)
}

// store writes every column but created_at and created_by.
func (r *BlocklistRepository) store(ctx context.Context, e blocklist.Entry) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(blocklistRowFrom(e)).
		ExcludeColumn("id", "created_at", "created_by", "deleted_at").WherePK().Exec(ctx)
	if IsUniqueViolation(err) {
		return domain.Conflict("blocklist entry with this pattern already exists")
	}
	return affectedOne(res, err, "blocklist entry")
}

// Delete soft-deletes the entry.
func (r *BlocklistRepository) Delete(ctx context.Context, id domain.ID, at time.Time) error {
	return softDelete[blocklistRow](ctx, conn(ctx, r.db), id, at, "blocklist entry")
}

// List pages entries by id.
func (r *BlocklistRepository) List(ctx context.Context, f application.BlocklistFilter, page application.PageRequest) (application.Page[blocklist.Entry], error) {
	q := conn(ctx, r.db).NewSelect().Model((*blocklistRow)(nil))
	if f.PatternType != "" {
		q = q.Where("pattern_type = ?", string(f.PatternType))
	}
	if f.IsActive != nil {
		q = q.Where("is_active = ?", *f.IsActive)
	}
	return listByID(ctx, q, "id", page, func(r *blocklistRow) uuid.UUID { return r.ID }, (*blocklistRow).toDomain)
}

// LockAll takes the blocklist table in SHARE ROW EXCLUSIVE mode: reads go
// on, every other insert, update and delete (and another LockAll) waits for
// the caller's transaction.
func (r *BlocklistRepository) LockAll(ctx context.Context) error {
	_, err := conn(ctx, r.db).ExecContext(ctx, `LOCK TABLE blocklist IN SHARE ROW EXCLUSIVE MODE`)
	return err
}
