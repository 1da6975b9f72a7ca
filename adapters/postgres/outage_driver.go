package postgres

import (
	"context"
	"database/sql/driver"
	"io"

	"github.com/jackc/pgx/v5/stdlib"
)

// outageConnector wraps pgx's database/sql connector so that every error
// of a connect, statement, row or commit passes through classify: an outage
// is unavailable whichever repository method met it, without each of them
// having to remember.
type outageConnector struct{ driver.Connector }

func (c outageConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return &outageConn{Conn: conn.(*stdlib.Conn)}, nil
}

// outageConn is a *stdlib.Conn whose errors are classified. It offers the
// same optional interfaces database/sql looks for.
type outageConn struct{ *stdlib.Conn }

// pgxConn returns the pgx connection under a driver connection that
// database/sql's Conn.Raw hands out.
func pgxConn(dc any) *stdlib.Conn { return dc.(*outageConn).Conn }

func (c *outageConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.PrepareContext(ctx, query)
	return s, classify(err)
}

func (c *outageConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, classify(err)
	}
	return outageTx{tx}, nil
}

func (c *outageConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.Conn.ExecContext(ctx, query, args)
	return r, classify(err)
}

func (c *outageConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if err != nil {
		return nil, classify(err)
	}
	return outageRows{rows.(*stdlib.Rows)}, nil
}

func (c *outageConn) Ping(ctx context.Context) error { return classify(c.Conn.Ping(ctx)) }

type outageTx struct{ driver.Tx }

func (t outageTx) Commit() error   { return classify(t.Tx.Commit()) }
func (t outageTx) Rollback() error { return classify(t.Tx.Rollback()) }

// outageRows keeps *stdlib.Rows' column type methods (database/sql's
// ColumnTypes) and classifies a connection lost while rows stream in; io.EOF
// is the end of the rows, not an error.
type outageRows struct{ *stdlib.Rows }

func (r outageRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err == io.EOF {
		return err
	}
	return classify(err)
}
