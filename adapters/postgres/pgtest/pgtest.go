// Package pgtest gives each test package its own migrated PostgreSQL database,
// cloned from a template that is migrated once per set of migrations, so test
// packages run in parallel and never see each other's data. A missing server
// fails the tests; it never skips them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/migrations"
)

// ServerURL is the maintenance database the tests connect to first.
func ServerURL() string {
	if v := os.Getenv("EXTGUARD_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

const lockKey int64 = 0x7467_7465_7374 // serialises template creation and cloning

var (
	once    sync.Once
	dbName  string
	dsn     string
	onceErr error
	shared  *bun.DB
)

// DSN returns the URL of this test binary's private database, creating it on
// first use.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { dbName, dsn, onceErr = create(context.Background()) })
	if onceErr != nil {
		t.Fatalf("pgtest: PostgreSQL is required for these tests (%s): %v", ServerURL(), onceErr)
	}
	return dsn
}

// DB returns a bun DB on this test binary's private database (shared by the
// package's tests; they must not assume an empty database).
func DB(t testing.TB) *bun.DB {
	t.Helper()
	u := DSN(t)
	if shared == nil {
		db, err := postgres.Open(context.Background(), u, postgres.DefaultPool())
		if err != nil {
			t.Fatalf("pgtest: open %s: %v", dbName, err)
		}
		shared = db
	}
	return shared
}

// Main runs the package's tests and drops its database afterwards. Use it
// from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		_ = shared.Close()
	}
	if dbName != "" {
		if err := drop(context.Background(), dbName); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: drop %s: %v\n", dbName, err)
		}
	}
	return code
}

// EmptyDatabase creates a fresh database with no tables (for migration tests)
// and returns its URL; it is dropped when the test ends.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "extguard_test_empty_" + randomSuffix()
	admin := adminConn(t, ctx)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create %s: %v", name, err)
	}
	t.Cleanup(func() { _ = drop(ctx, name) })
	return withDatabase(ServerURL(), name)
}

func adminConn(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("pgtest: PostgreSQL is required for these tests (%s): %v", ServerURL(), err)
	}
	return c
}

func create(ctx context.Context) (string, string, error) {
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return "", "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck

	tpl := "extguard_tpl_" + migrations.Fingerprint()
	if err := ensureTemplate(ctx, admin, tpl); err != nil {
		return "", "", fmt.Errorf("template %s: %w", tpl, err)
	}
	name := "extguard_test_" + randomSuffix()
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tpl}.Sanitize())); err != nil {
		return "", "", err
	}
	dsn := withDatabase(ServerURL(), name)
	// The template is kept across runs, maybe for months: give the clone the
	// history partitions of today, as the worker's retention task would.
	db, err := postgres.Open(ctx, dsn, postgres.DefaultPool())
	if err != nil {
		return "", "", err
	}
	_, err = postgres.NewPartitions(db).CreateAhead(ctx, time.Now(), 2)
	_ = db.Close()
	return name, dsn, err
}

func ensureTemplate(ctx context.Context, admin *pgx.Conn, tpl string) error {
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tpl).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := tpl + "_building"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, withDatabase(ServerURL(), building), postgres.DefaultPool())
	if err != nil {
		return err
	}
	_, err = postgres.NewMigrator(db).Up(ctx)
	_ = db.Close()
	if err != nil {
		return err
	}
	if _, err = admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{tpl}.Sanitize())); err != nil {
		return err
	}
	return dropSupersededTemplates(ctx, admin, tpl)
}

// dropSupersededTemplates removes the templates of earlier migration sets:
// only this package makes extguard_tpl_ databases, and one that no session
// uses is never cloned again once the migrations changed. A template still
// being cloned (it has a connection) is left for the next new template.
func dropSupersededTemplates(ctx context.Context, admin *pgx.Conn, current string) error {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database d
		WHERE datname LIKE 'extguard\_tpl\_%' AND datname <> $1 AND datname NOT LIKE '%\_building'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`, current)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

func drop(ctx context.Context, name string) error {
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// UnusedDatabaseURL names a database that does not exist yet, for tests of
// the code that creates it (extguard all); it is dropped when the test ends.
func UnusedDatabaseURL(t testing.TB) string {
	t.Helper()
	name := "extguard_test_new_" + randomSuffix()
	t.Cleanup(func() { _ = drop(context.Background(), name) })
	return withDatabase(ServerURL(), name)
}

// PrivateDB is a database of the calling test's own, cloned from the
// migrated template and dropped when the test ends: for a test whose
// writes reach what every other test sees (a policy apply that prunes every
// group the file leaves out).
func PrivateDB(t testing.TB) *bun.DB {
	t.Helper()
	ctx := context.Background()
	name, dsn, err := create(ctx)
	if err != nil {
		t.Fatalf("pgtest: private database: %v", err)
	}
	db, err := postgres.Open(ctx, dsn, postgres.DefaultPool())
	if err != nil {
		_ = drop(ctx, name)
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		_ = drop(ctx, name)
	})
	return db
}
