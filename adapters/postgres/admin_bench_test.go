package postgres_test

import (
	"cmp"
	"context"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// The admin API's read targets at fleet scale (issue 4): "who has X" p99
// <= 20 ms, a group's compliance p95 <= 50 ms, the fleet's <= 500 ms, with
// 100,000 agents × 50 extensions loaded. `make bench` runs them at full size;
// EXTGUARD_BENCH_AGENTS shrinks the fixture for a quick look.

var (
	fleetOnce sync.Once
	fleet     pgtest.SeededFleet
	fleetErr  error
)

func benchFleet(b *testing.B) pgtest.SeededFleet {
	b.Helper()
	fleetOnce.Do(func() {
		agents := 100000
		if v, err := strconv.Atoi(os.Getenv("EXTGUARD_BENCH_AGENTS")); err == nil && v > 0 {
			agents = v
		}
		start := time.Now()
		fleet, fleetErr = pgtest.SeedFleet(context.Background(), pgtest.DSN(b),
			pgtest.Fleet{Groups: 20, Agents: agents, ExtensionsPerAgent: 50, Distinct: 2000})
		b.Logf("seeded %d agents × 50 extensions in %s", agents, time.Since(start).Round(time.Second))
	})
	if fleetErr != nil {
		b.Fatal(fleetErr)
	}
	return fleet
}

// measure runs op b.N times and reports latency percentiles besides ns/op.
func measure(b *testing.B, op func() error) {
	b.Helper()
	measureAfter(b, func() error { return nil }, op)
}

// measureAfter is measure with setup run, untimed, before each op.
func measureAfter(b *testing.B, setup, op func() error) {
	b.Helper()
	if err := cmp.Or(setup(), op()); err != nil { // warm the plan and the cache once
		b.Fatal(err)
	}
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := setup(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func BenchmarkWhoHasExtension(b *testing.B) {
	f := benchFleet(b)
	r := postgres.NewInstallationReader(pgtest.DB(b))
	page := application.PageRequest{Limit: 50}
	for _, c := range []struct{ name, id string }{{"rare", f.Rare}, {"common", f.Common}} {
		b.Run(c.name, func(b *testing.B) {
			measure(b, func() error {
				p, err := r.Find(context.Background(), application.InstallationFilter{ExtensionIDs: []string{c.id}}, page)
				if err == nil && len(p.Items) == 0 {
					b.Fatal("no installations found")
				}
				return err
			})
		})
	}
	b.Run("glob", func(b *testing.B) {
		uc := application.FindInstallations{Installations: r}
		measure(b, func() error {
			_, err := uc.Execute(context.Background(), application.InstallationQuery{Pattern: "evil-*.pack"}, page)
			return err
		})
	})
}

func BenchmarkGroupCompliance(b *testing.B) {
	f := benchFleet(b)
	r := postgres.NewComplianceReader(pgtest.DB(b))
	i := 0
	measure(b, func() error {
		i++
		s, err := r.Summary(context.Background(), domain.ID(f.GroupIDs[i%len(f.GroupIDs)]), application.TopOffenders)
		if err == nil && s.Agents == 0 {
			b.Fatal("empty group")
		}
		return err
	})
}

func BenchmarkFleetCompliance(b *testing.B) {
	benchFleet(b)
	r := postgres.NewComplianceReader(pgtest.DB(b))
	measure(b, func() error {
		_, err := r.Summary(context.Background(), domain.NilID, application.TopOffenders)
		return err
	})
}
