package application

import (
	"context"

	"github.com/extguard/extguard/domain/agent"
)

// agentPolicy is the policy an agent enforces: its group's compiled policy
// plus its own unexpired exceptions. Both come from memory; exceptions nil
// (tests, tools) serves the group's policy alone.
func agentPolicy(ctx context.Context, policies CompiledPolicies, exceptions AgentExceptions, a agent.Agent) (CompiledPolicy, error) {
	cp, err := groupPolicy(ctx, policies, a)
	if err != nil || exceptions == nil {
		return cp, err
	}
	return exceptions.Apply(ctx, a.ID(), cp)
}
