// Package postgres holds the bun repositories, transactions and migrations
// runner. Row models are private to this package; use cases see domain values.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/extra/bunotel"
)

// PoolConfig sizes the connection pool.
type PoolConfig struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

// DefaultPool suits one API or worker process on a small machine.
func DefaultPool() PoolConfig {
	return PoolConfig{MaxOpenConns: 20, MaxIdleConns: 20, ConnMaxLifetime: 30 * time.Minute}
}

// defaultConnectTimeout applies when the URL sets no connect_timeout.
const defaultConnectTimeout = 5 * time.Second

// Open connects to PostgreSQL through pgx and returns a bun DB with tracing.
// Query spans carry the statement template only, never argument values, so
// key and password hashes cannot reach a trace.
func Open(ctx context.Context, dsn string, pool PoolConfig) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		// Without a bound, a server that drops packets holds each request
		// for the kernel's TCP timeout (minutes) instead of answering 503.
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	sqldb := sql.OpenDB(outageConnector{stdlib.GetConnector(*cfg)})
	sqldb.SetMaxOpenConns(pool.MaxOpenConns)
	sqldb.SetMaxIdleConns(pool.MaxIdleConns)
	sqldb.SetConnMaxLifetime(pool.ConnMaxLifetime)

	db := bun.NewDB(sqldb, pgdialect.New(), bun.WithDiscardUnknownColumns())
	db.AddQueryHook(bunotel.NewQueryHook(
		bunotel.WithDBName(cfg.Database),
		bunotel.WithFormattedQueries(false),
	))
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database %q: %w", cfg.Database, err)
	}
	return db, nil
}

// EnsureDatabase creates the database named in dsn when it does not exist,
// connecting to the server's "postgres" database to do so. A role that may not
// create databases gets a clear error only if the database is really missing.
func EnsureDatabase(ctx context.Context, dsn string) error {
	name, adminDSN, err := splitDatabase(dsn)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("connect to the postgres database to create %q: %w", name, err)
	}
	defer conn.Close(ctx)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// splitDatabase returns the database name of dsn and the same URL pointed at
// the maintenance database "postgres".
func splitDatabase(dsn string) (name, adminDSN string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", errors.New("database url must look like postgres://user@host:5432/dbname")
	}
	name = strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", "", errors.New("database url names no database")
	}
	u.Path = "/postgres"
	return name, u.String(), nil
}

func isDuplicateDatabase(err error) bool {
	return pgErrorCode(err) == "42P04"
}

// Ping is the readiness probe's check.
func Ping(ctx context.Context, db *bun.DB) error {
	return db.PingContext(ctx)
}

var _ = sql.ErrNoRows
