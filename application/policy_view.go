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
