package migrations_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// seedTypes maps the expected schema's type names onto information_schema.data_type.
var seedTypes = map[string]string{
	"uuid":        "uuid",
	"varchar":     "character varying",
	"text":        "text",
	"boolean":     "boolean",
	"jsonb":       "jsonb",
	"inet":        "inet",
	"timestamptz": "timestamp with time zone",
}

type expectedColumn struct{ column, typ string }

type seedColumn struct{ table, column, typ string }

// readSeed lists expectedSchema's columns, table by table in a stable order.
func readSeed(t *testing.T) []seedColumn {
	t.Helper()
	var cols []seedColumn
	for _, table := range slices.Sorted(maps.Keys(expectedSchema)) {
		for _, c := range expectedSchema[table] {
			cols = append(cols, seedColumn{table: table, column: c.column, typ: c.typ})
		}
	}
	return cols
}

func TestEverySeedColumnExistsWithItsType(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	for _, c := range readSeed(t) {
		want, ok := seedTypes[c.typ]
		if !ok {
			t.Errorf("%s.%s: seed type %q has no mapping in this test", c.table, c.column, c.typ)
			continue
		}
		var got string
		err := db.NewRaw(`SELECT data_type FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = ? AND column_name = ?`, c.table, c.column).Scan(ctx, &got)
		if err != nil {
			t.Errorf("%s.%s: missing (%v)", c.table, c.column, err)
			continue
		}
		if got != want {
			t.Errorf("%s.%s: type %s, the seed says %s (%s)", c.table, c.column, got, c.typ, want)
		}
	}
}

func TestSeedKeysExist(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	for _, c := range readSeed(t) {
		if c.column != "id" {
			continue
		}
		var n int
		err := db.NewRaw(`SELECT count(*) FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
			WHERE tc.table_name = ? AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = 'id'`, c.table).Scan(ctx, &n)
		if err != nil || n != 1 {
			t.Errorf("%s: primary key on id missing (%v)", c.table, err)
		}
	}
	wantFKs := map[string][]string{
		"agents":           {"group_id"},
		"api_keys":         {"group_id", "created_by"},
		"group_extensions": {"group_id", "extension_id", "added_by"},
		"reports":          {"agent_id", "group_id"},
		"blocklist":        {"created_by"},
		"audit_log":        {"group_id"},
	}
	for table, cols := range wantFKs {
		for _, col := range cols {
			var n int
			err := db.NewRaw(`SELECT count(*) FROM information_schema.table_constraints tc
				JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
				WHERE tc.table_name = ? AND k.table_name = tc.table_name -- a partition's copy of the key has its name
				  AND tc.constraint_type = 'FOREIGN KEY' AND k.column_name = ?`, table, col).Scan(ctx, &n)
			if err != nil || n != 1 {
				t.Errorf("%s.%s: foreign key missing (%v)", table, col, err)
			}
		}
	}
	// Seed unique keys; on soft-deletable tables they are partial indexes.
	wantUnique := map[string]string{
		"users":      "WHERE (deleted_at IS NULL)",
		"groups":     "WHERE (deleted_at IS NULL)",
		"extensions": "WHERE (deleted_at IS NULL)",
		"api_keys":   "",
	}
	for table, where := range wantUnique {
		var defs []string
		if err := db.NewRaw(`SELECT indexdef FROM pg_indexes WHERE tablename = ? AND indexdef LIKE 'CREATE UNIQUE%' AND indexname <> ?`,
			table, table+"_pkey").Scan(ctx, &defs); err != nil || len(defs) == 0 {
			t.Errorf("%s: unique key missing (%v)", table, err)
			continue
		}
		if where != "" && !strings.Contains(defs[0], where) {
			t.Errorf("%s: unique key %q is not partial %s", table, defs[0], where)
		}
	}
}

func TestMigrationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.EmptyDatabase(t), postgres.DefaultPool())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mg := postgres.NewMigrator(db)

	applied, err := mg.Up(ctx)
	if err != nil || len(applied) == 0 {
		t.Fatalf("up: %v (applied %v)", err, applied)
	}
	assertAtHead(t, mg, true)
	if n := countTables(t, db); n < 9 {
		t.Fatalf("after up: %d tables", n)
	}

	rolled, err := mg.Down(ctx, len(applied))
	if err != nil || len(rolled) != len(applied) {
		t.Fatalf("down: %v (rolled back %v of %v)", err, rolled, applied)
	}
	assertAtHead(t, mg, false)
	if n := countTables(t, db); n != 0 {
		t.Fatalf("after down to zero: %d application tables remain", n)
	}

	again, err := mg.Up(ctx)
	if err != nil || len(again) != len(applied) {
		t.Fatalf("up again: %v (applied %v)", err, again)
	}
	assertAtHead(t, mg, true)
	if more, err := mg.Up(ctx); err != nil || len(more) != 0 {
		t.Fatalf("a second up must be a no-op: %v %v", more, err)
	}
}

func assertAtHead(t *testing.T, mg *postgres.Migrator, want bool) {
	t.Helper()
	got, err := mg.AtHead(context.Background())
	if err != nil || got != want {
		t.Fatalf("AtHead = %v, %v; want %v", got, err, want)
	}
}

// countTables counts our tables, leaving out bun's own bookkeeping.
func countTables(t *testing.T, db *bun.DB) int {
	t.Helper()
	var n int
	if err := db.NewRaw(`SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name NOT LIKE 'bun_migration%'`).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
