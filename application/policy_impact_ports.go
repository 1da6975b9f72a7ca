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
	// Selected answers, per agent, the installed items that its group's
	// selection selects (one selection per group at most, none Whole when
	// agentIDs is given): of every enrolled agent, or only of agentIDs.
	Selected(ctx context.Context, sels []GroupSelection, agentIDs []domain.ID) ([]AgentInventory, error)
	// Inventories answers the agents' whole inventories.
	Inventories(ctx context.Context, agentIDs []domain.ID) ([]AgentInventory, error)
	// GroupAgents answers every enrolled agent of the groups, without items.
	GroupAgents(ctx context.Context, groups []domain.ID) ([]AgentInventory, error)
	// StoredVerdicts answers the agents' last verdicts (agent_verdicts),
	// by agent; an agent that never reported has none.
	StoredVerdicts(ctx context.Context, agentIDs []domain.ID) (map[domain.ID]StoredVerdict, error)
}

// GroupSelection is what a plan reads of one group's agents: every item
// (Whole), or the items of the extension ids and of the publishers.
type GroupSelection struct {
	GroupID      domain.ID
	Whole        bool
	ExtensionIDs []string
	Publishers   []string
}

func (s GroupSelection) empty() bool {
	return !s.Whole && len(s.ExtensionIDs) == 0 && len(s.Publishers) == 0
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
