package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// ComplianceReader summarises the current verdicts of a group or the fleet.
type ComplianceReader interface {
	// Summary aggregates over groupID's agents, or every agent when groupID
	// is NilID, listing at most top offending extensions.
	Summary(ctx context.Context, groupID domain.ID, top int) (ComplianceSummary, error)
	// Overview is Summary over every agent and, from the same counts,
	// each group's share: the agents that are not decommissioned and those
	// of them whose newest verdict is compliant (groups with agents only).
	Overview(ctx context.Context, top int) (ComplianceSummary, []ComplianceShare, error)
}

// ComplianceShare is one group's compliant share: Compliant of Agents.
type ComplianceShare struct {
	GroupID   domain.ID
	Agents    int
	Compliant int
}

// ComplianceSummary is the compliance of a group (or the fleet) now.
type ComplianceSummary struct {
	GroupID          domain.ID
	AgentsByStatus   map[agent.Status]int
	Agents           int // not decommissioned
	Compliant        int
	NonCompliant     int
	NotReported      int
	ViolationsByKind []KindCount
	TopOffenders     []Offender
}

// KindCount counts violations of one kind and the agents they were found on.
type KindCount struct {
	Kind       string
	Violations int
	Agents     int
}

// Offender is an extension with the number of agents it violates policy on.
type Offender struct {
	ExtensionID string
	Agents      int
}
