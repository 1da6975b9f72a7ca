package httpapi_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
)

// countRows runs a count query against the package's test database.
func countRows(t testing.TB, db *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// execSQL runs a statement against the package's test database.
func execSQL(t testing.TB, db *bun.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.NewRaw(query, args...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}
