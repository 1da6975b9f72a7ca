package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// AgentInventory is one enrolled agent's installed items now (all of them,
// or those a VerdictInventory call selected).
type AgentInventory struct {
	AgentID domain.ID
	GroupID domain.ID
	Items   []report.Item
}

// VerdictInventory reads current inventories (installations) of enrolled
// agents (decommissioned and deleted ones left out) for a plan's verdict
// impact.
type VerdictInventory interface {
	// Selected answers, per agent, the installed items that sel selects,
	// and every item of the agents of wholeGroups.
	Selected(ctx context.Context, sel ImpactSelector, wholeGroups []domain.ID) ([]AgentInventory, error)
	// Inventories answers the agents' whole inventories.
	Inventories(ctx context.Context, agentIDs []domain.ID) ([]AgentInventory, error)
	// GroupAgents answers every enrolled agent of the groups, without items.
	GroupAgents(ctx context.Context, groups []domain.ID) ([]AgentInventory, error)
	// StoredVerdicts answers the agents' last verdicts (agent_verdicts),
	// by agent; an agent that never reported has none.
	StoredVerdicts(ctx context.Context, agentIDs []domain.ID) (map[domain.ID]StoredVerdict, error)
}

// StoredVerdict is an agent's last verdict, judged when its inventory (the
// installations rows) was reported, against the policy of PolicyETag.
type StoredVerdict struct {
	PolicyETag string
	Compliant  bool
	Violations []VerdictViolation
}

// LiveExceptions lists the agents' exceptions in force now.
type LiveExceptions interface {
	Live(ctx context.Context, now time.Time) ([]AgentException, error)
}
