package postgres

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"
)

type txKey struct{}

// TxRunner runs a use case's work in one database transaction. Repositories
// find the transaction in the context, so a use case composes several
// repository calls and its audit row atomically without knowing about bun.
type TxRunner struct{ db *bun.DB }

// NewTxRunner returns a TxRunner on db.
func NewTxRunner(db *bun.DB) *TxRunner { return &TxRunner{db: db} }

// InTx runs fn inside a transaction at the connection's default isolation
// (READ COMMITTED), committing when fn returns nil. fn runs once and is
// never retried (StoreReports retries its own deadlocks), so it may collect
// results for after the commit. A nested call joins the outer transaction.
// Errors: fn's, or unavailable when the database cannot be reached.
func (r *TxRunner) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx)
	}
	// classify: waiting for a pooled connection ends in database/sql's own
	// context error, which no driver call sees.
	return classify(r.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	}))
}

// sqlQuerier is the transaction carried by ctx, or the pool, below bun:
// its arguments go to PostgreSQL as bind parameters instead of being
// formatted into the statement's text (for large arrays, see
// HeartbeatStore.ApplyHeartbeats).
func sqlQuerier(ctx context.Context, db *bun.DB) interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
} {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx.Tx
	}
	return db.DB
}

// conn returns the transaction carried by ctx, or the pool.
func conn(ctx context.Context, db *bun.DB) bun.IDB {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx
	}
	return db
}

// largeReadWorkMem is what a read of hundreds of thousands of rows may use
// per sort, hash or bitmap. At PostgreSQL's default (4 MB) the bitmap of a
// plan's selected installations (550,000 rows over 82,000 heap pages at
// 100,000 agents) went lossy, and rechecking every row of the lossy pages
// against 200 extension ids took 9.5 s instead of 0.8 s; the block
// impact's distinct agents spilled to disk. It is one admin request's
// memory, for the rest of the transaction: the read's own, or ctx's when
// it carries one (SET LOCAL lasts until that one ends).
const largeReadWorkMem = "64MB"

// inLargeRead runs fn in a read-only transaction whose statements may use
// largeReadWorkMem; within ctx's transaction, when it carries one.
func inLargeRead(ctx context.Context, db *bun.DB, fn func(ctx context.Context) error) error {
	read := func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '"+largeReadWorkMem+"'"); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx))
	}
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return classify(read(ctx, tx))
	}
	return classify(db.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, read))
}
