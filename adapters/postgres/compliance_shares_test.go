package postgres_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// TestComplianceSharesAgreeWithEachGroupsSummary: the one-pass shares of
// the overview count what each group's summary counts.
func TestComplianceSharesAgreeWithEachGroupsSummary(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	f, err := pgtest.SeedFleet(context.Background(), dsn, pgtest.Fleet{Groups: 3, Agents: 90, ExtensionsPerAgent: 5, Distinct: 40})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t)
	r := postgres.NewComplianceReader(db)
	shares, err := r.Shares(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byGroup := map[domain.ID]application.ComplianceShare{}
	for _, s := range shares {
		byGroup[s.GroupID] = s
	}
	for _, g := range f.GroupIDs {
		sum, err := r.Summary(context.Background(), domain.ID(g), 1)
		if err != nil {
			t.Fatal(err)
		}
		got := byGroup[domain.ID(g)]
		if sum.Agents == 0 || sum.Compliant == sum.Agents || got.Agents != sum.Agents || got.Compliant != sum.Compliant {
			t.Fatalf("group %s: shares %+v, summary agents %d compliant %d", g, got, sum.Agents, sum.Compliant)
		}
	}
}
