package workers

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
)

// TestComplianceDailyTaskRecordsTodayOnce: the compliance:daily task, as the
// queue delivers it, writes today's row of every group with agents, and a
// second delivery of the same period (a task may run twice) adds nothing.
func TestComplianceDailyTaskRecordsTodayOnce(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	f, err := pgtest.SeedFleet(context.Background(), pgtest.DSN(t), pgtest.Fleet{Groups: 2, Agents: 10, ExtensionsPerAgent: 2, Distinct: 5})
	if err != nil {
		t.Fatal(err)
	}
	h.uc.RecordCompliance = application.RecordComplianceDay{Series: postgres.NewComplianceSeries(h.db), Clock: application.SystemClock{}}
	mux := NewHandlers(h.uc, h.log).Mux()
	now := time.Now().UTC()
	task, _ := newPeriodicTask(TypeComplianceDaily, now.Truncate(ComplianceDailyPeriod))
	for run := range 2 {
		if err := mux.ProcessTask(context.Background(), task); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		n := h.count(`SELECT count(*) FROM compliance_daily WHERE day = ?::date AND group_id IN (?) AND total = 5`,
			now.Format(time.DateOnly), bun.In(f.GroupIDs))
		if n != 2 {
			t.Fatalf("after run %d: %d rows of today for our 2 groups of 5 agents; want 2", run, n)
		}
	}
}
