package application_test

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// agentsInMemory is the AgentRepository; (group, machine_id) is unique as
// in the database. raceOnce makes the next Insert lose to a concurrent
// enrollment of the same machine: it stores the winner and answers conflict.
type agentsInMemory struct {
	*table[agent.Agent]
	raceOnce bool
}

func newAgents(as ...agent.Agent) *agentsInMemory {
	return &agentsInMemory{table: newTable(agent.Agent.ID, as...)}
}

func (a *agentsInMemory) Get(_ context.Context, id domain.ID) (agent.Agent, error) { return a.get(id) }

func (a *agentsInMemory) FindByMachineForUpdate(_ context.Context, groupID domain.ID, machineID string) (agent.Agent, error) {
	for _, r := range a.rows {
		if r.GroupID() == groupID && r.MachineID() == machineID {
			return r, nil
		}
	}
	return agent.Agent{}, errNoRow
}

func (a *agentsInMemory) Insert(ctx context.Context, r agent.Agent) error {
	if _, err := a.FindByMachineForUpdate(ctx, r.GroupID(), r.MachineID()); err == nil {
		return domain.Conflict("machine enrolled")
	}
	if a.raceOnce {
		a.raceOnce = false
		winner := agent.RehydrateAgent(agent.Record{ID: domain.NewID(), GroupID: r.GroupID(), MachineID: r.MachineID(), Status: agent.StatusActive})
		a.rows[winner.ID()] = winner
		return domain.Conflict("machine enrolled")
	}
	return a.create(r)
}

func (a *agentsInMemory) UpdateEnrollment(_ context.Context, r agent.Agent) error {
	_, err := a.update(r.ID(), func(agent.Agent) (agent.Agent, error) { return r, nil })
	return err
}

func (a *agentsInMemory) Update(_ context.Context, id domain.ID, change func(agent.Agent) (agent.Agent, error)) (agent.Agent, error) {
	return a.update(id, change)
}

// agentsChanged counts AgentCacheInvalidator calls.
type agentsChanged struct{ ids []domain.ID }

func (c *agentsChanged) AgentChanged(_ context.Context, id domain.ID) { c.ids = append(c.ids, id) }
