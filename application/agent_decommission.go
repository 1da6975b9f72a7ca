package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
)

// DecommissionAgent retires an agent: its requests are refused until the
// machine enrolls again. Its history stays.
type DecommissionAgent struct {
	Tx     Transactor
	Agents AgentRepository
	Audit  AuditLog
	Clock  Clock
	Cache  AgentCacheInvalidator
}

// Execute decommissions the agent. Errors: not_found (unknown, deleted or
// already decommissioned: a second DELETE is 404 like everywhere else).
func (uc DecommissionAgent) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DecommissionAgent")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		var a agent.Agent
		// On the locked row, so a re-enrollment committed meanwhile is
		// decommissioned, not written back to what was read before it.
		next, err := uc.Agents.Update(ctx, id, func(current agent.Agent) (agent.Agent, error) {
			a = current
			if current.IsDecommissioned() {
				return current, domain.NotFound("agent not found or already decommissioned")
			}
			return current.Decommission(uc.Clock.Now()), nil
		})
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AgentDecommissioned, Actor: actor, GroupID: a.GroupID(),
			TargetType: audit.TargetAgent, TargetID: id,
			Details: map[string]any{"machine_id": a.MachineID(), "display_name": a.DisplayName(),
				"before": map[string]any{"status": string(a.Status())}, "after": map[string]any{"status": string(next.Status())}}})
	})
	if err == nil && uc.Cache != nil {
		uc.Cache.AgentChanged(ctx, id)
	}
	return err
}
