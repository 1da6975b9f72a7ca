package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/domain"
)

// getByID reads the row with id into a new R (the model's soft-delete
// filter applies) and converts it; a missing row is not_found, named by what.
func getByID[R any, T any](ctx context.Context, db *bun.DB, id domain.ID, what string, toDomain func(*R) (T, error)) (T, error) {
	row := new(R)
	if err := conn(ctx, db).NewSelect().Model(row).Where("id = ?", uid(id)).Scan(ctx); err != nil {
		var zero T
		return zero, translate(err, what)
	}
	return toDomain(row)
}

// softDelete marks the R with id deleted at at; a missing row is not_found.
func softDelete[R any](ctx context.Context, db bun.IDB, id domain.ID, at time.Time, what string) error {
	res, err := db.NewUpdate().Model((*R)(nil)).
		Set("deleted_at = ?", at).Set("updated_at = ?", at).Where("id = ?", uid(id)).Exec(ctx)
	return affectedOne(res, err, what)
}
