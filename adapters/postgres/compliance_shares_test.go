package postgres_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// TestComplianceSharesAgreeWithEachGroupsSummary: the overview's one-pass
// shares count what each group's summary counts, and what the agents and
// verdicts tables hold, once a group's agent is decommissioned and
// another deleted (their verdicts are no longer counted).
func TestComplianceSharesAgreeWithEachGroupsSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	f, err := pgtest.SeedFleet(ctx, dsn, pgtest.Fleet{Groups: 3, Agents: 90, ExtensionsPerAgent: 5, Distinct: 40})
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t)
	// One compliant agent decommissioned, one deleted, both in group 0.
	if _, err := db.ExecContext(ctx, `UPDATE agents SET status = 'decommissioned' WHERE id = (
		SELECT v.agent_id FROM agent_verdicts v WHERE v.group_id = ? AND v.compliant ORDER BY v.agent_id LIMIT 1)`, f.GroupIDs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE agents SET deleted_at = now() WHERE id = (
		SELECT v.agent_id FROM agent_verdicts v JOIN agents a ON a.id = v.agent_id
		WHERE v.group_id = ? AND v.compliant AND a.status <> 'decommissioned' ORDER BY v.agent_id LIMIT 1)`, f.GroupIDs[0]); err != nil {
		t.Fatal(err)
	}
	r := postgres.NewComplianceReader(db)
	fleet, shares, err := r.Overview(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	byGroup := map[domain.ID]application.ComplianceShare{}
	for _, s := range shares {
		byGroup[s.GroupID] = s
	}
	for i, g := range f.GroupIDs {
		sum, err := r.Summary(ctx, domain.ID(g), 1)
		if err != nil {
			t.Fatal(err)
		}
		var agents, compliant int
		if err := db.NewRaw(`SELECT count(*), count(*) FILTER (WHERE v.compliant) FROM agents a
			LEFT JOIN agent_verdicts v ON v.agent_id = a.id
			WHERE a.group_id = ? AND a.deleted_at IS NULL AND a.status <> 'decommissioned'`, g).Scan(ctx, &agents, &compliant); err != nil {
			t.Fatal(err)
		}
		got := byGroup[domain.ID(g)]
		if sum.Agents == 0 || sum.Compliant == sum.Agents || got.Agents != sum.Agents || got.Compliant != sum.Compliant ||
			got.Agents != agents || got.Compliant != compliant {
			t.Fatalf("group %d: shares %+v, summary agents %d compliant %d, tables %d and %d", i, got, sum.Agents, sum.Compliant, agents, compliant)
		}
		if i == 0 && (agents != 28 || sum.AgentsByStatus[agent.StatusDecommissioned] != 1) {
			t.Fatalf("group 0: %d enrolled agents, %d decommissioned; want 28 and 1", agents, sum.AgentsByStatus[agent.StatusDecommissioned])
		}
	}
	if fleet.Agents < 88 || fleet.Compliant+fleet.NonCompliant+fleet.NotReported != fleet.Agents {
		t.Fatalf("fleet %+v does not add up", fleet)
	}
}
