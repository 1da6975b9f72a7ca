package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
)

// supersededTotal reads extguard_agent_reports_superseded_total from the
// process's registry, the one /metrics serves.
func supersededTotal(t *testing.T) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "extguard_agent_reports_superseded_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("extguard_agent_reports_superseded_total is not registered")
	return 0
}

// A report older than the agent's newest stored one changes nothing; it is
// no longer dropped silently: it is counted, and logged at most once a
// minute with how many there were.
func TestSupersededReportsAreCountedAndLogged(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	s := postgres.NewReportStore(pgtest.DB(t))
	s.LogSuperseded(slog.New(slog.NewJSONHandler(&logs, nil)))
	a := enrolled(t, ctx, newGroup(t, ctx), "m-superseded")
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	store(t, ctx, s, storedReport(t, a, t0, item("sup.ext", "2.0.0")))
	before := supersededTotal(t)
	store(t, ctx, s, storedReport(t, a, t0.Add(time.Second), item("sup.ext", "2.0.0"))) // newer: applied
	if got := supersededTotal(t) - before; got != 0 {
		t.Fatalf("a newer report counted as superseded (%v)", got)
	}
	store(t, ctx, s, storedReport(t, a, t0.Add(-time.Minute), item("sup.ext", "1.0.0")))
	store(t, ctx, s, storedReport(t, a, t0.Add(-2*time.Minute)), storedReport(t, enrolled(t, ctx, a.GroupID(), "m-superseded-2"), t0))
	if got := supersededTotal(t) - before; got != 2 {
		t.Errorf("superseded counted %v, want 2", got)
	}
	if got := inventory(t, ctx, a.ID()); got["sup.ext"] != "2.0.0" {
		t.Errorf("a superseded report changed the inventory: %v", got)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"count":1`) || !strings.Contains(lines[0], a.ID().String()) {
		t.Errorf("logs %q: want one line (rate-limited) naming the agent", logs.String())
	}
}
