package postgres_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// Time travel at fleet scale (issue 18): p99 <= 50 ms for inventory-at and
// exposure on 100,000 agents × 50 extensions with 90 days of history at 2
// changes per agent per day (~23 million rows). The fleet is benchFleet's
// (EXTGUARD_BENCH_AGENTS shrinks it); the history is seeded on top with
// COPY.

var (
	historyOnce sync.Once
	history90   pgtest.SeededHistory
	historyErr  error
)

func benchHistory(b *testing.B) (pgtest.SeededFleet, pgtest.SeededHistory) {
	b.Helper()
	f := benchFleet(b)
	historyOnce.Do(func() {
		start := time.Now()
		history90, historyErr = pgtest.SeedHistory(context.Background(), pgtest.DSN(b), f.GroupIDs,
			pgtest.History{Days: 90, ChangesPerDay: 2})
		b.Logf("seeded %d history rows (%d agents, 90 days, 2 changes a day) in %s", history90.Rows, len(history90.AgentIDs),
			time.Since(start).Round(time.Second))
	})
	if historyErr != nil {
		b.Fatal(historyErr)
	}
	return f, history90
}

func BenchmarkInventoryAt(b *testing.B) {
	_, h := benchHistory(b)
	r := postgres.NewHistoryReader(pgtest.DB(b))
	rng := rand.New(rand.NewPCG(7, 18))
	span := h.End.Sub(h.Start)
	measure(b, func() error {
		agent := h.AgentIDs[rng.IntN(len(h.AgentIDs))]
		at := h.Start.Add(time.Duration(rng.Int64N(int64(span))))
		p, err := r.InventoryAt(context.Background(), domain.ID(agent), at, application.PageRequest{Limit: 50})
		if err == nil && len(p.Items) == 0 {
			b.Fatal("an empty inventory")
		}
		return err
	})
}

func BenchmarkExposure(b *testing.B) {
	f, h := benchHistory(b)
	r := postgres.NewHistoryReader(pgtest.DB(b))
	week := application.ExposureFilter{Since: h.End.AddDate(0, 0, -40), Until: h.End.AddDate(0, 0, -33)}
	for _, c := range []struct{ name, id string }{{"rare", f.Rare}, {"common", f.Common}} {
		b.Run(c.name, func(b *testing.B) {
			q := week
			q.ExtensionID = c.id
			measure(b, func() error {
				p, err := r.Exposure(context.Background(), q, application.PageRequest{Limit: 50})
				if err == nil && len(p.Items) == 0 {
					b.Fatal("nobody exposed")
				}
				return err
			})
		})
	}
}
