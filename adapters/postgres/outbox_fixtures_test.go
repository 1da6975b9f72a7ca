package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/extguard/extguard/domain"
)

// Fixtures of the workers' repository tests. The package's tests share one
// database, so every webhook made here is deleted when its test ends (an
// enabled webhook would receive other tests' events) and assertions are
// scoped to the rows a test made.

func fixtureGroup(t *testing.T, db *bun.DB, settings string) domain.ID {
	t.Helper()
	id := domain.NewID()
	if _, err := db.NewRaw(`INSERT INTO groups (id, name, settings) VALUES (?, ?, ?::jsonb)`,
		id.String(), "g-"+id.String(), settings).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return id
}

func fixtureAgent(t *testing.T, db *bun.DB, groupID domain.ID, status string, lastHeartbeat time.Time) domain.ID {
	t.Helper()
	id := domain.NewID()
	if _, err := db.NewRaw(`INSERT INTO agents (id, group_id, machine_id, status, last_heartbeat) VALUES (?, ?, ?, ?, ?)`,
		id.String(), groupID.String(), "m-"+id.String(), status, lastHeartbeat).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return id
}

func fixtureWebhook(t *testing.T, db *bun.DB, url string, enabled bool, eventTypes ...string) domain.ID {
	t.Helper()
	id := domain.NewID()
	if eventTypes == nil {
		eventTypes = []string{}
	}
	if _, err := db.NewRaw(`INSERT INTO webhooks (id, url, secret, event_types, is_enabled) VALUES (?, ?, ?, ?, ?)`,
		id.String(), url, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", pgdialect.Array(eventTypes), enabled).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.NewRaw(`UPDATE webhooks SET deleted_at = now(), is_enabled = false WHERE id = ?`, id.String()).Exec(context.Background())
	})
	return id
}

func countRows(t *testing.T, db *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func scanString(t *testing.T, db *bun.DB, query string, args ...any) string {
	t.Helper()
	var s string
	if err := db.NewRaw(query, args...).Scan(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}
