package redis

import (
	"context"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

const topicAgent = "agent"

// AgentTTL bounds how long an agent is served from memory without news.
// What the hot path needs (group, decommissioned or not) changes only
// through enrollment and decommissioning, which invalidate at once, and the
// caches are emptied whenever the invalidation channel drops (Bus), so the
// TTL is only a backstop. Each expiry is a database read on a heartbeat: at
// 10 minutes a 100,000-agent fleet reads 167 agents a second on average, a
// million-agent one 1,667, and entries filled together (after a restart)
// all expired in the same minute, every 10 minutes (filling the cache for
// 100,000 agents cost 3% of a core over that minute in the fleet run's
// profile).
const AgentTTL = time.Hour

// agentTTLSpread spreads the expiries of agents loaded together over the
// last fifth of AgentTTL.
const agentTTLSpread = 0.2

// AgentCache is a read-through cache of agents by id, so a heartbeat
// answers without SQL. It keeps what the agent API reads of an agent
// (application.AgentLookup), not the whole row: at 100,000 agents a whole
// agent.Agent with its strings was 440 bytes of heap per agent, the
// largest structure of the server (BenchmarkHeapPerAgent).
type AgentCache struct {
	bus   *Bus
	cache *localCache[domain.ID, hotAgent]
}

// hotAgent is the cached part of an agent: its group, status, and its
// machine id and user hash in one string (one allocation, not two).
type hotAgent struct {
	group  domain.ID
	text   string // machine id, then user hash
	split  uint16 // where the user hash starts in text
	status uint8  // index in agentStatuses
}

// agentStatuses are the statuses the agents table allows (its CHECK);
// a cached status is an index here, so no status string read from the
// database stays on the heap.
var agentStatuses = [...]agent.Status{agent.StatusActive, agent.StatusStale, agent.StatusOffline, agent.StatusDecommissioned}

// statusCode is s's index in agentStatuses; the table allows no other
// status, and one that is not there is read as active, what it was
// treated as before: only decommissioned refuses requests.
func statusCode(s agent.Status) uint8 {
	for i, known := range agentStatuses {
		if s == known {
			return uint8(i)
		}
	}
	return 0
}

// maxUint16 bounds the machine id's length (agent.MaxMachineIDLength is 128).
const maxUint16 = 1<<16 - 1

func hotAgentOf(a agent.Agent) hotAgent {
	m := a.MachineID()
	if len(m) > maxUint16 { // never from an enrollment; cut so the split stays right
		m = m[:maxUint16]
	}
	return hotAgent{group: a.GroupID(), text: m + a.UserHash(), split: uint16(len(m)), status: statusCode(a.Status())}
}

// agent rebuilds the agent id names with the fields AgentLookup promises.
func (h hotAgent) agent(id domain.ID) agent.Agent {
	return agent.RehydrateAgent(agent.Record{ID: id, GroupID: h.group, MachineID: h.text[:h.split],
		UserHash: h.text[h.split:], Status: agentStatuses[h.status]})
}

var (
	_ application.AgentLookup           = (*AgentCache)(nil)
	_ application.AgentCacheInvalidator = (*AgentCache)(nil)
)

// NewAgentCache returns the cache on source, invalidated through bus.
func NewAgentCache(source application.AgentLookup, bus *Bus) *AgentCache {
	read := func(ctx context.Context, id domain.ID) (hotAgent, error) {
		a, err := source.Get(ctx, id)
		return hotAgentOf(a), err
	}
	c := &AgentCache{bus: bus, cache: newLocalCache(bus, AgentTTL, byID, read)}
	c.cache.spread = agentTTLSpread
	bus.Handle(topicAgent, func(raw string) {
		if id, err := domain.ParseID(raw); err == nil {
			c.cache.drop(id)
		}
	})
	return c
}

// Get serves from memory when it can, else from the source; either way
// with only the fields AgentLookup promises.
func (c *AgentCache) Get(ctx context.Context, id domain.ID) (agent.Agent, error) {
	h, err := c.cache.fetch(ctx, id, clock.Now())
	if err != nil {
		return agent.Agent{}, err
	}
	return h.agent(id), nil
}

// AgentChanged drops the agent here and on every other instance.
func (c *AgentCache) AgentChanged(ctx context.Context, agentID domain.ID) {
	c.bus.Publish(ctx, topicAgent, agentID.String())
}
