package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
)

// TestFeedsImportAppliesAFileAndRefusesABrokenOne: the air-gapped path.
// Redis points nowhere: an import needs only PostgreSQL (the invalidation
// it cannot publish is logged; caches expire on their own).
func TestFeedsImportAppliesAFileAndRefusesABrokenOne(t *testing.T) {
	dbURL := pgtest.UnusedDatabaseURL(t)
	getenv := func(k string) string {
		switch k {
		case "EXTGUARD_DATABASE_URL":
			return dbURL
		case "EXTGUARD_REDIS_URL":
			return "redis://127.0.0.1:1/0"
		}
		return ""
	}
	if code := run([]string{"migrate", "up"}, getenv, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate up: %d", code)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	feedID := domain.NewID().String()
	if _, err := conn.Exec(ctx, `INSERT INTO threat_feeds (id, name, kind, mode, interval_s, created_at, updated_at)
		VALUES ($1, 'Marketplace removals', 'removed-packages', 'alert', 21600, now(), now())`, feedID); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, broken := filepath.Join(dir, "RemovedPackages.md"), filepath.Join(dir, "broken.md")
	os.WriteFile(good, []byte("| Extension Identifier | Removal Date | Type |\n|---|---|---|\n|Evil.Pack|5/17/2025| Malware\n| bad.twin | 5/12/2025|  Typo-squatting |\n"), 0o600)
	os.WriteFile(broken, []byte("|good.one|5/17/2025|Malware|\n|bad.date|17/5/2025|Malware|\n"), 0o600)

	var out bytes.Buffer
	if code := run([]string{"feeds", "import", feedID, good}, getenv, &out, io.Discard); code != 0 ||
		!strings.Contains(out.String(), "2 entries, 2 added") {
		t.Fatalf("import: exit %d, %s", code, out.String())
	}
	var stderr bytes.Buffer
	if code := run([]string{"feeds", "import", feedID, broken}, getenv, io.Discard, &stderr); code != 1 {
		t.Fatalf("broken import: exit %d", code)
	}
	var n int
	var lastError string
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM feed_advisories WHERE feed_id = $1), last_error FROM threat_feeds WHERE id = $1`,
		feedID).Scan(&n, &lastError); err != nil {
		t.Fatal(err)
	}
	if n != 2 || !strings.Contains(lastError, "line 2") {
		t.Fatalf("after the broken import: %d advisories, last error %q", n, lastError)
	}
	if code := run([]string{"feeds", "import", "not-an-id", good}, getenv, io.Discard, io.Discard); code != 2 {
		t.Fatalf("a bad feed id: exit %d, want 2", code)
	}
}
