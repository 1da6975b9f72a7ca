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
	return loadByID(ctx, conn(ctx, db).NewSelect(), id, what, toDomain)
}

func loadByID[R any, T any](ctx context.Context, q *bun.SelectQuery, id domain.ID, what string, toDomain func(*R) (T, error)) (T, error) {
	row := new(R)
	if err := q.Model(row).Where("id = ?", uid(id)).Scan(ctx); err != nil {
		var zero T
		return zero, translate(err, what)
	}
	return toDomain(row)
}

// updateByID is every repository's read-modify-write. It reads the row with
// id locked in the caller's transaction (or its own), hands it to change and
// stores what change answers with store. The lock is held until that
// transaction ends, so a concurrent writer of the row waits and then changes
// the committed result instead of overwriting it with what it read before,
// and the audit row the caller appends in the same transaction describes
// exactly the change stored. An error from change stores nothing.
//
// The lock is FOR NO KEY UPDATE, the one an UPDATE of the row takes anyway:
// it excludes every other writer of the row but not the key-share locks that
// inserts referencing it take (webhook_deliveries.webhook_id, sessions.user_id,
// agents.group_id). With FOR UPDATE, two admins changing two webhooks at once
// deadlock: each one's audit row queues a delivery to the other's webhook.
func updateByID[R any, T any](ctx context.Context, db *bun.DB, id domain.ID, what string, toDomain func(*R) (T, error),
	change func(current T) (T, error), store func(ctx context.Context, next T) error) (T, error) {
	return updateInTable(ctx, db, "", id, what, toDomain, change, store)
}

// updatePolicyRow is updateByID for a row of the policy tables (groups,
// extensions, blocklist; see PolicyStore.Lock): it first takes the table in
// ROW EXCLUSIVE mode, the lock its UPDATE takes anyway, so a write that
// starts while a policy apply holds the tables waits before it locks the
// row. Locking the row first (FOR NO KEY UPDATE passes the apply's table
// lock) and queueing for the table after deadlocks with an apply that
// updates the same row next.
func updatePolicyRow[R any, T any](ctx context.Context, db *bun.DB, table string, id domain.ID, what string, toDomain func(*R) (T, error),
	change func(current T) (T, error), store func(ctx context.Context, next T) error) (T, error) {
	return updateInTable(ctx, db, table, id, what, toDomain, change, store)
}

// lockForWrite takes table in ROW EXCLUSIVE mode in the caller's
// transaction (see updatePolicyRow).
func lockForWrite(ctx context.Context, db *bun.DB, table string) error {
	_, err := conn(ctx, db).ExecContext(ctx, "LOCK TABLE "+table+" IN ROW EXCLUSIVE MODE")
	return err
}

func updateInTable[R any, T any](ctx context.Context, db *bun.DB, table string, id domain.ID, what string, toDomain func(*R) (T, error),
	change func(current T) (T, error), store func(ctx context.Context, next T) error) (T, error) {
	var next T
	err := NewTxRunner(db).InTx(ctx, func(ctx context.Context) error {
		if table != "" {
			if err := lockForWrite(ctx, db, table); err != nil {
				return err
			}
		}
		current, err := loadByID(ctx, conn(ctx, db).NewSelect().For("NO KEY UPDATE"), id, what, toDomain)
		if err != nil {
			return err
		}
		if next, err = change(current); err != nil {
			return err
		}
		return store(ctx, next)
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return next, nil
}

// softDelete marks the R with id deleted at at; a missing row is not_found.
func softDelete[R any](ctx context.Context, db bun.IDB, id domain.ID, at time.Time, what string) error {
	res, err := db.NewUpdate().Model((*R)(nil)).
		Set("deleted_at = ?", at).Set("updated_at = ?", at).Where("id = ?", uid(id)).Exec(ctx)
	return affectedOne(res, err, what)
}
