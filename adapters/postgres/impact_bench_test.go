package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/blocklist"
)

// BenchmarkBlocklistImpact: what a blocklist entry would block, p99 <= 100
// ms at 100,000 agents × 50 extensions (issue 21). "common" is the worst
// case: an extension 3 agents in 5 have, so 60,000 agents are counted.
func BenchmarkBlocklistImpact(b *testing.B) {
	f := benchFleet(b)
	impact := application.BlockImpact{Installations: postgres.NewInstallationReader(pgtest.DB(b))}
	publisher, _, _ := strings.Cut(f.Rare, ".")
	for _, c := range []struct {
		name string
		typ  blocklist.PatternType
		text string
	}{
		{"exact-rare", blocklist.PatternExact, f.Rare},
		{"exact-common", blocklist.PatternExact, f.Common},
		{"publisher", blocklist.PatternPublisher, publisher},
		{"glob", blocklist.PatternGlob, "evil-*.pack"},
	} {
		p, err := blocklist.NewPattern(c.typ, c.text)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			measure(b, func() error {
				im, err := impact.Of(context.Background(), []blocklist.Pattern{p}, application.ImpactSample)
				if err == nil && im.Agents == 0 {
					b.Fatal("nothing impacted")
				}
				return err
			})
		})
	}
}
