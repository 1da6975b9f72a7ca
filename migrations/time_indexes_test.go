package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
)

// errRollback undoes a test's rows: they exist only to be measured.
var errRollback = errors.New("rollback")

// TestTimeIndexesStayDenseAndServeNewestFirst: the whole-table time indexes
// are ascending (migration 6), so rows appended in time order fill their
// pages instead of leaving half of each empty, and the newest-first pages
// still read them, backward, without sorting.
func TestTimeIndexesStayDenseAndServeNewestFirst(t *testing.T) {
	db := pgtest.DB(t)
	const rows = 20_000
	err := db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (event_type, actor_type, created_at)
			SELECT 'test.dense', 'system', now() + g * interval '1 ms' FROM generate_series(1, ?) g`, rows); err != nil {
			return err
		}
		var pages int
		// The tables are partitioned (migration 20261203180001): the index's
		// pages are its partitions' pages.
		if err := tx.NewRaw(`SELECT (sum(pg_relation_size(relid)) / current_setting('block_size')::int)::int
			FROM pg_partition_tree('audit_log_created_idx')`).Scan(ctx, &pages); err != nil {
			return err
		}
		// A (timestamptz, uuid) entry takes 32 bytes: a full page holds
		// ~250, a half-empty one ~125. Leftmost inserts (a DESC index)
		// measured 1.7x the pages of rightmost ones.
		if perPage := rows / max(pages, 1); perPage < 180 {
			t.Errorf("audit_log_created_idx holds %d entries per page (%d pages for %d rows); its pages are half empty", perPage, pages, rows)
		}
		for index, query := range map[string]string{
			"audit_log_created_idx": `SELECT id FROM audit_log WHERE (created_at, id) < (now() + interval '1 day', gen_random_uuid())
				ORDER BY created_at DESC, id DESC LIMIT 51`,
			"reports_reported_idx": `SELECT id FROM reports ORDER BY reported_at DESC, id DESC LIMIT 51`,
		} {
			plan := explain(ctx, t, tx, query)
			// Each partition's copy of the index is read backward and merged
			// (Merge Append keeps their order); nothing is sorted.
			var children []string
			if err := tx.NewRaw(`SELECT relid::regclass::text FROM pg_partition_tree(?::regclass) WHERE isleaf`, index).Scan(ctx, &children); err != nil {
				return err
			}
			if len(children) == 0 || strings.Contains(plan, "Sort  (") || strings.Contains(plan, "Sort (") {
				t.Errorf("a newest-first page sorts or %s has no partitions:\n%s", index, plan)
			}
			for _, child := range children {
				if !strings.Contains(plan, "Backward using "+child+" ") {
					t.Errorf("a newest-first page does not read %s backward:\n%s", child, plan)
				}
			}
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// explain is query's plan with sequential scans and sorts priced out, so
// the plan shows whether the index can serve the order at all (an almost
// empty table would otherwise be scanned whole).
func explain(ctx context.Context, t *testing.T, tx bun.Tx, query string) string {
	t.Helper()
	for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var line sql.NullString
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line.String)
	}
	return strings.Join(lines, "\n")
}
