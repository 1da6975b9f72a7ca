package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/threatfeed"
)

// noInvalidation stands in for the Redis bus: the benchmark recompiles
// every group itself, as each API instance does on the message.
type noInvalidation struct{}

func (noInvalidation) GroupChanged(context.Context, domain.ID) {}
func (noInvalidation) AllGroupsChanged(context.Context)        {}

// BenchmarkThreatFeedImport imports 10,000 advisories (100 of them
// installed across the fleet, the rest unknown ids) into a block feed
// against the seeded fleet (100,000 agents × 50 extensions at full size;
// EXTGUARD_BENCH_AGENTS shrinks it) and reports the time to apply (parse,
// diff, exposure counts, audit, commit) and the time until every group's
// ETag has changed (apply, then every group's policy loaded and compiled,
// what each API instance does on the invalidation message).
func BenchmarkThreatFeedImport(b *testing.B) {
	fleet := benchFleet(b)
	db := pgtest.DB(b)
	ctx := context.Background()
	tag := strings.TrimSuffix(strings.TrimPrefix(fleet.Rare, "evil-"), ".pack")
	entries := []map[string]any{{"id": fleet.Rare, "reason": "stealer"}, {"id": fleet.Common, "reason": "compromised"}}
	for i := 0; len(entries) < 100; i++ {
		entries = append(entries, map[string]any{"id": "pub" + strconv.Itoa(i%97) + "-" + tag + ".ext" + strconv.Itoa(i)})
	}
	for i := 0; len(entries) < 10000; i++ {
		entries = append(entries, map[string]any{"id": "unknown" + strconv.Itoa(i) + ".ext", "severity": "low"})
	}
	body, _ := json.Marshal(map[string]any{"version": 1, "entries": entries})
	feeds := postgres.NewThreatFeedRepository(db)
	clock := application.SystemClock{}
	imp := application.NewImportThreatFeed(application.Deps{Tx: postgres.NewTxRunner(db), Audit: postgres.NewAuditLog(db),
		ThreatFeeds: feeds, Exposure: postgres.NewExposureReader(db), Invalidator: noInvalidation{},
		Clocks: application.Clocks{Precise: clock, Coarse: clock}})
	inputs := postgres.NewPolicyInputs(db)
	etags := func() map[domain.ID]string {
		out := map[domain.ID]string{}
		for _, g := range fleet.GroupIDs {
			in, err := inputs.Load(ctx, domain.ID(g))
			if err != nil {
				b.Fatal(err)
			}
			out[domain.ID(g)] = policy.Compile(in).ETag
		}
		return out
	}
	var apply, untilETags time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := etags()
		f, err := threatfeed.New(threatfeed.Params{Name: "bench-" + domain.NewID().String(), Kind: "extguard", Mode: "block", CreatedAt: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if err := feeds.Create(ctx, f, domain.NilID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		res, err := imp.Execute(ctx, audit.SystemActor(), f.ID(), application.FeedContent{Body: body}, application.SourceImport)
		if err != nil {
			b.Fatal(err)
		}
		apply += time.Since(t0)
		after := etags()
		untilETags += time.Since(t0)
		b.StopTimer()
		if res.Added != 10000 || res.Matched != 100 {
			b.Fatalf("import: %+v", res)
		}
		for g, e := range after {
			if e == before[g] {
				b.Fatalf("group %s kept its ETag", g)
			}
		}
		if err := feeds.Delete(ctx, f.ID(), time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(apply.Milliseconds())/float64(b.N), "apply-ms")
	b.ReportMetric(float64(untilETags.Milliseconds())/float64(b.N), "etags-ms")
}
