package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// A removal is the last row of its key in a dropped month while an older
// installation of the key stays: in an expired month kept by an earlier
// conflict (pinned, dropped on a later run) or in a legacy partition, which
// is never dropped. Dropping the removal without carrying it would let the
// older installation answer again: time travel would say "installed" for a
// machine that removed the extension.
func TestRetentionCarriesARemovalThatAKeptInstallationPrecedes(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	gid := newGroup(t, ctx)
	a := enrolled(t, ctx, gid, "m-carry-kept").ID()
	tag := "carrykept-" + domain.NewID().String()[:8]
	ext := func(name string) string { return tag + "." + name }
	months := []string{"reports_p202301", "reports_p202302", "reports_p202303"}
	t.Cleanup(func() { // rows and months of this test only
		if _, err := db.ExecContext(ctx, `DELETE FROM reports WHERE extension_id LIKE ?`, tag+".%"); err != nil {
			t.Error(err)
		}
		for _, m := range months {
			if _, err := db.ExecContext(ctx, `ALTER TABLE reports DETACH PARTITION ?; DROP TABLE ?`, bun.Ident(m), bun.Ident(m)); err != nil &&
				!strings.Contains(err.Error(), "does not exist") {
				t.Error(err)
			}
		}
	})
	if _, err := db.ExecContext(ctx, `SELECT extguard_create_month_partition('reports', m)
		FROM generate_series(timestamptz '2023-01-01Z', '2023-02-01Z', interval '1 month') m`); err != nil {
		t.Fatal(err)
	}
	seedHistoryRows(t, ctx, gid, []seededChange{
		{a, "vscode", ext("pinned"), "1.0.0", "2023-01-10T08:00:00Z"}, // January is kept (pinned) this run
		{a, "vscode", ext("pinned"), "", "2023-02-20T08:00:00Z"},
		{a, "vscode", ext("legacy"), "", "2023-02-21T08:00:00Z"}, // its installation is a legacy row
	})
	// A row of before the partitioning: a random id, in reports_legacy_high.
	if _, err := db.ExecContext(ctx, `INSERT INTO reports (id, agent_id, group_id, editor, extension_id, installed,
		installed_version, reported_at) VALUES (('ffff' || substr(gen_random_uuid()::text, 5))::uuid, ?, ?, 'vscode', ?, true, '1.0.0',
		'2023-01-10T09:00:00Z')`, a.String(), gid.String(), ext("legacy")); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 3, 20, 12, 0, 0, 0, time.UTC)
	cutoff := now.Add(-72 * time.Hour) // both months expired; January pinned, February dropped
	instants := []time.Time{cutoff, cutoff.Add(time.Hour), now}
	agents, exts := []domain.ID{a}, []string{ext("pinned"), ext("legacy")}
	before := timeTravel(t, ctx, agents, exts, instants)
	if strings.Contains(before, "1.0.0") {
		t.Fatalf("the seeded history has the extensions installed after their removal:\n%s", before)
	}

	feb := application.HistoryPartition{Table: application.HistoryReports, Name: months[1],
		From: time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)}
	var d application.HistoryDrop
	err := postgres.NewTxRunner(db).InTx(ctx, func(ctx context.Context) (err error) {
		d, err = postgres.NewPartitions(db).Drop(ctx, feb, cutoff)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := timeTravel(t, ctx, agents, exts, instants); after != before {
		t.Errorf("time travel changed with the drop:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if d.Rows != 2 || d.Carried != 2 {
		t.Errorf("dropped %+v, want February's 2 rows gone and both removals carried", d)
	}
}
