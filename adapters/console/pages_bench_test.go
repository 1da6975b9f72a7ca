package console_test

import (
	"context"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain/user"
)

// BenchmarkPages times each console page at fleet size: 100,000 agents × 50
// extensions in 20 groups (pgtest.SeedFleet, several minutes to load;
// EXTGUARD_BENCH_AGENTS shrinks it), through the real router, session and
// use cases. Each page is one sub-benchmark reporting p50/p99 and its
// compressed weight.
//
//	go test -run '^$' -bench Pages -benchtime 20x ./adapters/console/
func BenchmarkPages(b *testing.B) {
	agents := 100_000
	if v, err := strconv.Atoi(os.Getenv("EXTGUARD_BENCH_AGENTS")); err == nil && v > 0 {
		agents = v
	}
	e := newBenchEnv(b)
	f, err := pgtest.SeedFleet(context.Background(), pgtest.DSN(b), pgtest.Fleet{Groups: 20, Agents: agents, ExtensionsPerAgent: 50, Distinct: 2000})
	if err != nil {
		b.Fatal(err)
	}
	br, _ := e.signIn(user.RoleAdmin)
	br.headers["Accept-Encoding"] = "gzip"
	g := f.GroupIDs[0].String()
	for _, p := range []struct{ name, path string }{
		{"overview", "/console/"}, {"agents", "/console/agents"}, {"agents-group", "/console/agents?group_id=" + g},
		{"installations-rare", "/console/installations?extension_id=" + f.Rare},
		{"installations-common", "/console/installations?extension_id=" + f.Common},
		{"groups", "/console/groups"}, {"group", "/console/groups/" + g}, {"blocklist", "/console/blocklist"},
		{"audit", "/console/audit"}, {"extensions", "/console/extensions"}, {"users", "/console/users"},
	} {
		b.Run(p.name, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			size := 0
			for range b.N {
				t0 := time.Now()
				a := br.do("GET", p.path, nil)
				d = append(d, time.Since(t0))
				if a.status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, a.status)
				}
				size = len(a.body)
			}
			sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
			pct := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(size), "gzip-bytes")
		})
	}
}
