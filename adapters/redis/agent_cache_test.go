package redis

import (
	"context"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// The cache keeps a compact copy of each agent; what the agent API reads
// (group, status, machine id, user hash) must come back as the database
// gave it, from a miss and from a hit alike.
func TestAgentCacheAnswersTheHotFieldsOfTheStoredAgent(t *testing.T) {
	stored := map[domain.ID]agent.Agent{}
	for i, st := range agentStatuses {
		a := storedAgent(domain.NewID(), domain.NewID(), i)
		stored[a.ID()] = agent.RehydrateAgent(agent.Record{ID: a.ID(), GroupID: a.GroupID(),
			MachineID: a.MachineID()[:10+i*7], UserHash: a.UserHash(), DisplayName: "shown", Status: st})
	}
	reads := 0
	source := agentSourceFunc(func(_ context.Context, id domain.ID) (agent.Agent, error) {
		reads++
		return stored[id], nil
	})
	bus := &Bus{handlers: map[string][]func(string){}}
	bus.connected.Store(true)
	c := NewAgentCache(source, bus)
	for range 2 { // a miss, then a hit
		for id, want := range stored {
			got, err := c.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID() != id || got.GroupID() != want.GroupID() || got.Status() != want.Status() ||
				got.MachineID() != want.MachineID() || got.UserHash() != want.UserHash() ||
				got.IsDecommissioned() != want.IsDecommissioned() {
				t.Errorf("cached %+v, want the hot fields of %+v", got, want)
			}
		}
	}
	if reads != len(stored) {
		t.Errorf("%d reads of the source for %d agents: the second pass did not hit", reads, len(stored))
	}
}
