package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
)

// Decommissioning is audited once and empties the agent's caches; a second
// decommission is not_found, like every second DELETE, and audits nothing.
func TestDecommissionAgentTwiceIsNotFound(t *testing.T) {
	t.Parallel()
	a := newAgent(t, domain.NewID())
	agents, events, cache := newAgents(a), &eventsInMemory{}, &agentsChanged{}
	uc := application.DecommissionAgent{Tx: runInline{}, Agents: agents, Audit: events, Clock: fixedClock{}, Cache: cache}
	if err := uc.Execute(context.Background(), someAdmin, a.ID()); err != nil {
		t.Fatal(err)
	}
	if agents.rows[a.ID()].Status() != agent.StatusDecommissioned || len(cache.ids) != 1 {
		t.Fatalf("status %s, %d cache invalidations; want decommissioned and 1", agents.rows[a.ID()].Status(), len(cache.ids))
	}
	if err := uc.Execute(context.Background(), someAdmin, a.ID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("second decommission: %v, want not_found", err)
	}
	if len(events.ofType(audit.AgentDecommissioned)) != 1 || len(events.events) != 1 {
		t.Fatalf("%d audit rows, want one agent.decommissioned", len(events.events))
	}
}
