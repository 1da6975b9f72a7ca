package application

import (
	"context"

	"github.com/extguard/extguard/domain"
)

// TopOffenders is how many offending extensions a summary lists.
const TopOffenders = 10

// GroupCompliance summarises a group's current verdicts: agents by status,
// compliant or not, violations by kind and the top offending extensions.
// It reads one verdict row per agent, never report history.
type GroupCompliance struct {
	Groups     GroupRepository
	Compliance ComplianceReader
}

// Execute answers the summary. Errors: not_found (group).
func (uc GroupCompliance) Execute(ctx context.Context, groupID domain.ID) (_ ComplianceSummary, err error) {
	ctx, obs := observe(ctx, "GroupCompliance")
	defer obs.end(&err)
	if _, err := uc.Groups.Get(ctx, groupID); err != nil {
		return ComplianceSummary{}, err
	}
	return uc.Compliance.Summary(ctx, groupID, TopOffenders)
}

// FleetCompliance is GroupCompliance over every agent.
type FleetCompliance struct{ Compliance ComplianceReader }

// Execute answers the fleet-wide summary.
func (uc FleetCompliance) Execute(ctx context.Context) (_ ComplianceSummary, err error) {
	ctx, obs := observe(ctx, "FleetCompliance")
	defer obs.end(&err)
	return uc.Compliance.Summary(ctx, domain.NilID, TopOffenders)
}
