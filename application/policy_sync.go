package application

import (
	"context"

	"github.com/extguard/extguard/domain/agent"
)

// SyncPolicy hands an agent its group's compiled policy and notes the sync
// (last_sync, flushed with the heartbeats). The caller answers 304 when the
// agent already holds the ETag; that is a sync too.
type SyncPolicy struct {
	Policies   CompiledPolicies
	Exceptions AgentExceptions // nil: the group's policy alone
	Heartbeats *HeartbeatBuffer
	Clock      Clock
}

// Execute returns the policy. Errors: forbidden (group gone), unavailable.
func (uc SyncPolicy) Execute(ctx context.Context, a agent.Agent) (_ CompiledPolicy, err error) {
	ctx, obs := observe(ctx, "SyncPolicy")
	defer obs.end(&err)
	cp, err := agentPolicy(ctx, uc.Policies, uc.Exceptions, a)
	if err != nil {
		return CompiledPolicy{}, err
	}
	uc.Heartbeats.Synced(a.ID(), uc.Clock.Now())
	return cp, nil
}
