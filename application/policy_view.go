package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
)

// ViewGroupPolicy compiles what a group's agents receive, from the same
// inputs and compiler the agent API uses, so the admin sees the real thing.
type ViewGroupPolicy struct{ Inputs PolicyInputs }

// Execute answers the compiled policy. Errors: not_found (group).
func (uc ViewGroupPolicy) Execute(ctx context.Context, groupID domain.ID) (_ policy.Policy, err error) {
	ctx, obs := observe(ctx, "ViewGroupPolicy")
	defer obs.end(&err)
	in, err := uc.Inputs.Load(ctx, groupID)
	if err != nil {
		return policy.Policy{}, err
	}
	return policy.Compile(in), nil
}

// ExportGroupPolicy is a group's compiled policy with the group's name, for
// the editors' native exports, which name the group they were made for.
type ExportGroupPolicy struct {
	Groups GroupRepository
	View   ViewGroupPolicy
}

// GroupPolicyExport is what a native export is rendered from.
type GroupPolicyExport struct {
	GroupName string
	Policy    policy.Policy
}

// Execute answers the group's name and compiled policy. Errors: not_found
// (group).
func (uc ExportGroupPolicy) Execute(ctx context.Context, groupID domain.ID) (_ GroupPolicyExport, err error) {
	ctx, obs := observe(ctx, "ExportGroupPolicy")
	defer obs.end(&err)
	g, err := uc.Groups.Get(ctx, groupID)
	if err != nil {
		return GroupPolicyExport{}, err
	}
	p, err := uc.View.Execute(ctx, groupID)
	if err != nil {
		return GroupPolicyExport{}, err
	}
	return GroupPolicyExport{GroupName: g.Name(), Policy: p}, nil
}
