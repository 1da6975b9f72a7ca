package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
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

// send sets headers (name, value pairs) on req, serves it through app and
// reads the whole answer, which must be as the served OpenAPI document
// declares (checkServed).
func send(t testing.TB, app *fiber.App, req *http.Request, headers ...string) answer {
	t.Helper()
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if req.Host == "" {
		// Every HTTP/1.1 client sends Host, and fasthttp refuses a request
		// without it; http.NewRequest with a bare path leaves it empty.
		req.Host = "extguard.test"
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	checkServed(t, req, a)
	return a
}
