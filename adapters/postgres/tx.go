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

// InTx runs fn inside a transaction, committing when fn returns nil. A nested
// call joins the outer transaction.
func (r *TxRunner) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx)
	}
	return r.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

// conn returns the transaction carried by ctx, or the pool.
func conn(ctx context.Context, db *bun.DB) bun.IDB {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx
	}
	return db
}
