package application

import (
	"context"

	"github.com/extguard/extguard/domain"
)

// ListAgentExceptions lists what approvals allow one agent on top of its
// group's policy, as it stands now: the exceptions that have neither ended
// nor expired (the ones the agent's policy carries).
type ListAgentExceptions struct {
	Exceptions ExceptionRepository
	Clock      Clock
}

// Execute answers the agent's live exceptions. Errors: unavailable.
func (uc ListAgentExceptions) Execute(ctx context.Context, agentID domain.ID) (_ []AgentException, err error) {
	ctx, obs := observe(ctx, "ListAgentExceptions")
	defer obs.end(&err)
	return uc.Exceptions.ForAgent(ctx, agentID, uc.Clock.Now())
}
