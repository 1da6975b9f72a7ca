package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

// BenchmarkPolicyPlanApply: plan and apply of a 200-entry policy file at
// 100,000 agents × 50 extensions, each <= 2 s (issue 21). The plan's file
// blocks 200 extensions the fleet has installed (one of them on 3 agents in
// 5), so its impact counts hundreds of thousands of installations; each
// apply writes 200 new entries and their 200 audit rows in one transaction.
func BenchmarkPolicyPlanApply(b *testing.B) {
	f := benchFleet(b)
	db := pgtest.DB(b)
	repo := postgres.NewBlocklistRepository(db)
	plan := application.PlanPolicy{Blocklist: repo, Impact: application.BlockImpact{Installations: postgres.NewInstallationReader(db)}}
	apply := application.ApplyPolicy{Tx: postgres.NewTxRunner(db), Blocklist: repo, Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{}}
	tag := strings.TrimSuffix(strings.TrimPrefix(f.Rare, "evil-"), ".pack")
	entry := func(typ, pattern string) blocklist.Entry {
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: typ, Pattern: pattern, Reason: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	installed := application.PolicyFile{Blocklist: []blocklist.Entry{entry("exact", f.Common)}}
	for n := 0; len(installed.Blocklist) < 200; n++ {
		installed.Blocklist = append(installed.Blocklist, entry("exact", "pub"+strconv.Itoa(n%97)+"-"+tag+".ext"+strconv.Itoa(n)))
	}
	ctx := context.Background()
	b.Run("plan", func(b *testing.B) {
		measure(b, func() error {
			p, err := plan.Execute(ctx, installed, false)
			if err == nil && (len(p.Changes) != 200 || p.Impact.Agents == 0) {
				b.Fatalf("%d changes, %d agents impacted", len(p.Changes), p.Impact.Agents)
			}
			return err
		})
	})
	round := 0
	b.Run("apply", func(b *testing.B) {
		measure(b, func() error {
			round++
			file := application.PolicyFile{}
			for n := range 200 {
				file.Blocklist = append(file.Blocklist, entry("exact", "bench-"+tag+"-"+strconv.Itoa(round)+".x"+strconv.Itoa(n)))
			}
			p, err := plan.Execute(ctx, application.PolicyFile{}, false)
			if err != nil {
				return err
			}
			done, err := apply.Execute(ctx, audit.SystemActor(), file, false, p.Revision)
			if err == nil && len(done.Changes) != 200 {
				b.Fatalf("%d changes applied", len(done.Changes))
			}
			return err
		})
	})
}
