package postgres

import (
	"context"

	"github.com/uptrace/bun"
)

// HeartbeatBatch is the production bound of a flush's batches.
const HeartbeatBatch = heartbeatBatch

// NewHeartbeatStoreOfBatch is a store writing batch agents per statement
// (for the benchmark comparing sizes).
func NewHeartbeatStoreOfBatch(db *bun.DB, batch int) *HeartbeatStore {
	return &HeartbeatStore{db: db, tx: NewTxRunner(db), batch: batch}
}

// QueryIntInTx runs a query answering one integer in the transaction ctx
// carries (or on the pool), to look at what a callback's transaction sees.
func QueryIntInTx(ctx context.Context, db *bun.DB, query string, args ...any) (int64, error) {
	rows, err := sqlQuerier(ctx, db).QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err == nil {
		err = rows.Err()
	}
	return n, err
}
