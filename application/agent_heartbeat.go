package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// HeartbeatAnswer tells the agent which policy is current and when to call again.
type HeartbeatAnswer struct {
	PolicyETag         string
	HeartbeatIntervalS int
}

// RecordHeartbeat notes an agent's contact without touching the database:
// the contact goes to HeartbeatBuffer (flushed in batches) and the ETag comes
// from the compiled-policy cache.
type RecordHeartbeat struct {
	Policies   CompiledPolicies
	Exceptions AgentExceptions // nil: the group's policy alone
	Heartbeats *HeartbeatBuffer
	Clock      Clock
}

// Execute records the heartbeat of a (authorized by AuthorizeAgentRequest).
// agentVersion "" keeps the stored version. Errors: invalid
// (agent_version), forbidden (decommissioned, group gone), unavailable.
func (uc RecordHeartbeat) Execute(ctx context.Context, a agent.Agent, agentVersion string) (_ HeartbeatAnswer, err error) {
	ctx, obs := observe(ctx, "RecordHeartbeat")
	defer obs.end(&err)
	now := uc.Clock.Now()
	a, err = a.RecordHeartbeat(now)
	if err != nil {
		return HeartbeatAnswer{}, err
	}
	if agentVersion != "" {
		if a, err = a.WithAgentVersion(agentVersion); err != nil {
			return HeartbeatAnswer{}, err
		}
		agentVersion = a.AgentVersion() // as the domain normalised it
	}
	cp, err := agentPolicy(ctx, uc.Policies, uc.Exceptions, a)
	if err != nil {
		return HeartbeatAnswer{}, err
	}
	uc.Heartbeats.Heartbeat(a.ID(), now, agentVersion)
	return HeartbeatAnswer{PolicyETag: cp.Policy.ETag, HeartbeatIntervalS: cp.Policy.HeartbeatIntervalS}, nil
}

// groupPolicy is the agent's group's policy; a group deleted under its
// agents leaves them nothing to enforce, which is forbidden, not missing.
func groupPolicy(ctx context.Context, policies CompiledPolicies, a agent.Agent) (CompiledPolicy, error) {
	cp, err := policies.Get(ctx, a.GroupID())
	if domain.CodeOf(err) == domain.CodeNotFound {
		return CompiledPolicy{}, domain.Forbidden("the agent's group no longer exists")
	}
	return cp, err
}
