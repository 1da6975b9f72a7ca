package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
)

// writeAt inserts a report and an audit row with ids of t, as the report
// store and the audit log write them at t (a UUIDv7 of the write's time
// picks the month partition).
func writeAt(ctx context.Context, t *testing.T, at time.Time) error {
	t.Helper()
	a := enrolled(t, ctx, newGroup(t, ctx), "m-ahead-"+at.Format("200601"))
	id := `encode(overlay(uuid_send(extguard_uuidv7()) PLACING substring(uuid_send(extguard_uuidv7_floor(?::timestamptz)) FROM 1 FOR 6)
		FROM 1 FOR 6), 'hex')::uuid`
	_, err := pgtest.DB(t).ExecContext(ctx, `
INSERT INTO reports (id, agent_id, group_id, extension_id, installed, reported_at) VALUES (`+id+`, ?, ?, 'ahead.ext', true, now());
INSERT INTO audit_log (id, event_type, actor_type, created_at) VALUES (`+id+`, 'group.created', 'system', now())`,
		at, a.ID().String(), a.GroupID().String(), at)
	return err
}

// The API process keeps the partitions of the months ahead itself: once
// the clock has passed every month created so far, a write fails, and
// after the keeper's pass (what `serve` runs at start-up and hourly,
// without any worker) writes of that month and of the two after it
// succeed. Two keepers racing for the same month both succeed.
func TestServeKeepsPartitionsAheadWithoutAWorker(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	// Far past the months the migration and the other tests created.
	month := time.Date(time.Now().Year()+3, 3, 15, 12, 0, 0, 0, time.UTC)
	if err := writeAt(ctx, t, month); err == nil {
		t.Fatal("a write in a month without a partition succeeded: the test cannot tell the keeper's work")
	}
	keeper := application.KeepPartitionsAhead{Partitions: postgres.NewPartitions(db), Clock: fixedClock{month}}
	results := make(chan []string, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			created, err := keeper.Execute(ctx)
			results <- created
			errs <- err
		}()
	}
	var created []string
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a keeper failed: %v", err)
		}
		created = append(created, <-results...)
	}
	for _, m := range []time.Time{month, month.AddDate(0, 1, 0), month.AddDate(0, 2, 0)} {
		for _, table := range []string{"reports", "audit_log"} {
			if name := table + "_p" + m.Format("200601"); !slices.Contains(created, name) {
				t.Errorf("%s was not created (created %v)", name, created)
			}
		}
		if err := writeAt(ctx, t, m); err != nil {
			t.Errorf("a write in %s after the keeper's pass: %v", m.Format("2006-01"), err)
		}
	}
	if again, err := keeper.Execute(ctx); err != nil || len(again) != 0 {
		t.Errorf("a second pass: %v (%v), want nothing created", again, err)
	}
}
