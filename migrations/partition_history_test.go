package migrations_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
)

const partitionMigration = "20261203180001"

// rowsDigest is a digest of every row of table, in id order, column by
// column: equal before and after the migration means every row was kept
// as it was. NULLs are left out, so a nullable column a later migration
// adds (reports.carried_at) does not count as a change.
func rowsDigest(ctx context.Context, t *testing.T, db bun.IDB, table string) (int, string) {
	t.Helper()
	var n int
	var digest string
	if err := db.NewRaw(`SELECT count(*), coalesce(md5(string_agg(jsonb_strip_nulls(to_jsonb(t))::text, '|' ORDER BY t.id)), '') FROM ? t`,
		bun.Ident(table)).Scan(ctx, &n, &digest); err != nil {
		t.Fatal(err)
	}
	return n, digest
}

// Upgrading a database of the previous schema keeps every report, audit
// row and the deliveries' references, and puts each row in the partition
// of the month its id was written in; down and up again keep them too.
func TestPartitionMigrationKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.EmptyDatabase(t), postgres.DefaultPool())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mg := postgres.NewMigrator(db)
	applied, err := mg.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newer := 0
	for _, name := range applied {
		if name >= partitionMigration {
			newer++
		}
	}
	if _, err := mg.Down(ctx, newer); err != nil {
		t.Fatal(err)
	}
	// Rows of the current schema: UUIDv7 ids written in September and
	// today, and one random (v4) id from the seed's old default.
	if _, err := db.ExecContext(ctx, `
INSERT INTO groups (id, name) VALUES ('0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f', 'g');
INSERT INTO agents (id, group_id, machine_id, user_hash, platform, agent_version, status)
    VALUES ('0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e70', '0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f', 'm', 'u', 'linux-x64', '1', 'active');
INSERT INTO reports (id, agent_id, group_id, extension_id, installed, installed_version, client_ip, reported_at, editor)
SELECT CASE WHEN g = 3 THEN gen_random_uuid()
            ELSE (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(g::text), 1, 19))::uuid END,
       '0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e70', '0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f', 'pub.ext' || g, g % 2 = 0, '1.0.' || g,
       '192.0.2.1', ts, 'vscode'
FROM (SELECT g, CASE WHEN g < 3 THEN timestamptz '2026-09-15T10:00:00Z' + g * interval '1 min' ELSE now() END AS ts
      FROM generate_series(1, 6) g) s;
INSERT INTO audit_log (id, event_type, actor_type, details, created_at)
VALUES ((lpad(to_hex((extract(epoch FROM timestamptz '2026-09-15T10:00:00Z') * 1000)::bigint), 12, '0') || '70008000000000000001')::uuid,
        'group.created', 'user', '{"a": 1}', '2026-09-15T10:00:00Z'),
       (gen_random_uuid(), 'group.updated', 'system', '{}', now());
INSERT INTO webhooks (id, url, secret) VALUES ('0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e71', 'https://example.com/h', 's');
INSERT INTO webhook_deliveries (webhook_id, audit_id, status)
SELECT '0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e71', id, 'delivered' FROM audit_log WHERE event_type = 'group.created';`); err != nil {
		t.Fatal(err)
	}
	type snapshot struct {
		n      int
		digest string
	}
	before := map[string]snapshot{}
	for _, table := range []string{"reports", "audit_log", "webhook_deliveries"} {
		n, d := rowsDigest(ctx, t, db, table)
		before[table] = snapshot{n, d}
	}
	check := func(when string) {
		t.Helper()
		for table, want := range before {
			if n, d := rowsDigest(ctx, t, db, table); n != want.n || d != want.digest {
				t.Errorf("%s %s: %d rows (digest %s), want %d (%s)", when, table, n, d, want.n, want.digest)
			}
		}
	}
	if _, err := mg.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check("after the upgrade")
	var partitioned int
	if err := db.NewRaw(`SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
		WHERE c.relname IN ('reports', 'audit_log')`).Scan(ctx, &partitioned); err != nil || partitioned != 2 {
		t.Fatalf("partitioned tables: %d (%v)", partitioned, err)
	}
	for table, want := range map[string]int{"reports_p202609": 2, "audit_log_p202609": 1} {
		var n int
		if err := db.NewRaw(`SELECT count(*) FROM ?`, bun.Ident(table)).Scan(ctx, &n); err != nil || n != want {
			t.Errorf("%s holds %d rows (%v), want %d", table, n, err, want)
		}
	}
	// A new row without an id gets a UUIDv7 of now, in this month's partition.
	var partition string
	if err := db.NewRaw(`WITH ins AS (INSERT INTO audit_log (event_type, actor_type) VALUES ('x.y', 'system') RETURNING tableoid)
		SELECT tableoid::regclass::text FROM ins`).Scan(ctx, &partition); err != nil ||
		partition != "audit_log_p"+nowMonth(ctx, t, db) {
		t.Errorf("a new audit row went to %q (%v)", partition, err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM audit_log WHERE event_type = 'x.y'`); err != nil {
		t.Fatal(err)
	}
	if _, err := mg.Down(ctx, newer); err != nil {
		t.Fatal(err)
	}
	check("after down")
	if _, err := mg.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check("after up again")
}

func nowMonth(ctx context.Context, t *testing.T, db bun.IDB) string {
	t.Helper()
	var m string
	if err := db.NewRaw(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')`).Scan(ctx, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
