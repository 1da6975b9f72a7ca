package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
)

// dailyRows is the day's rows of compliance_daily for groups, summed (the
// package's database is shared by its tests).
func dailyRows(ctx context.Context, t *testing.T, day time.Time, groups []uuid.UUID) (rows, compliant, total int) {
	t.Helper()
	err := pgtest.DB(t).NewRaw(`SELECT count(*), coalesce(sum(compliant), 0), coalesce(sum(total), 0)
FROM compliance_daily WHERE day = ?::date AND group_id IN (?)`, day.Format(time.DateOnly), bun.In(groups)).Scan(ctx, &rows, &compliant, &total)
	if err != nil {
		t.Fatal(err)
	}
	return rows, compliant, total
}

// TestComplianceDailyRecordIsAnIdempotentUpsert: recording a day twice
// leaves one row per group with the live counts, and a later run of the
// same day overwrites them.
func TestComplianceDailyRecordIsAnIdempotentUpsert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	f, err := pgtest.SeedFleet(ctx, dsn, pgtest.Fleet{Groups: 3, Agents: 60, ExtensionsPerAgent: 3, Distinct: 20})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t)
	s := postgres.NewComplianceSeries(db)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for range 2 {
		n, err := s.RecordDay(ctx, day)
		if err != nil || n < 3 {
			t.Fatalf("RecordDay = %d, %v; want at least our 3 groups", n, err)
		}
	}
	rows, compliant, total := dailyRows(ctx, t, day, f.GroupIDs)
	if rows != 3 || total != 60 || compliant == 0 || compliant == total {
		t.Fatalf("after two runs: %d rows, %d of %d compliant; want 3 rows, 60 agents, a mixed fleet", rows, compliant, total)
	}
	if _, err := db.ExecContext(ctx, `UPDATE agent_verdicts SET compliant = true WHERE group_id IN (?)`, bun.In(f.GroupIDs)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDay(ctx, day); err != nil {
		t.Fatal(err)
	}
	if rows, compliant, total = dailyRows(ctx, t, day, f.GroupIDs); rows != 3 || compliant != 60 || total != 60 {
		t.Fatalf("after the fleet became compliant: %d rows, %d of %d; want 3 rows, 60 of 60", rows, compliant, total)
	}
}

// TestComplianceTrendIsThirtyDaysInOrderWithTodayLive: the overview's trend
// answers the recorded days of the last 30 (today included) oldest first,
// none older, and today computed from the verdicts though nothing recorded
// it, the same numbers as the fleet's summary.
// Not parallel: today's point is the whole (shared) fleet, compared with
// the fleet's summary while no other test writes.
func TestComplianceTrendIsThirtyDaysInOrderWithTodayLive(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	f, err := pgtest.SeedFleet(ctx, dsn, pgtest.Fleet{Groups: 2, Agents: 40, ExtensionsPerAgent: 3, Distinct: 20})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t)
	today := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	// Inserted out of order; -30 is one day too old, -29 the oldest kept.
	for _, back := range []int{1, 30, 29, 5, 45} {
		for i, g := range f.GroupIDs {
			if _, err := db.ExecContext(ctx, `INSERT INTO compliance_daily (day, group_id, compliant, total) VALUES (?::date, ?, ?, 10)`,
				today.AddDate(0, 0, -back).Format(time.DateOnly), g, back%10+i); err != nil {
				t.Fatal(err)
			}
		}
	}
	overview := application.FleetOverview{Compliance: postgres.NewComplianceReader(db), Series: postgres.NewComplianceSeries(db),
		Clock: fixedClock{today.Add(15 * time.Hour)}}
	o, err := overview.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	days := o.Trend
	want := []int{29, 5, 1, 0}
	if len(days) != len(want) {
		t.Fatalf("days = %+v; want %d days back %v", days, len(want), want)
	}
	for i, back := range want {
		d := days[i]
		if !d.Day.Equal(today.AddDate(0, 0, -back)) {
			t.Fatalf("day %d = %s; want %s (oldest first)", i, d.Day, today.AddDate(0, 0, -back))
		}
		if back > 0 && (d.Total != 20 || d.Compliant != 2*(back%10)+1) {
			t.Fatalf("day -%d = %+v; want the sum of its two groups", back, d)
		}
	}
	live, err := postgres.NewComplianceReader(db).Summary(ctx, [16]byte{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if o.Fleet.Agents != live.Agents || o.Fleet.Compliant != live.Compliant {
		t.Fatalf("overview's fleet %+v; want the fleet's summary %+v", o.Fleet, live)
	}
	if last := days[3]; last.Total != live.Agents || last.Compliant != live.Compliant || last.Total < 40 {
		t.Fatalf("today = %+v; want the live fleet, %d of %d compliant", last, live.Compliant, live.Agents)
	}
}
