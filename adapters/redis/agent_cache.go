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
// answers without SQL.
type AgentCache struct {
	bus   *Bus
	cache *localCache[domain.ID, agent.Agent]
}

var (
	_ application.AgentLookup           = (*AgentCache)(nil)
	_ application.AgentCacheInvalidator = (*AgentCache)(nil)
)

// NewAgentCache returns the cache on source, invalidated through bus.
func NewAgentCache(source application.AgentLookup, bus *Bus) *AgentCache {
	c := &AgentCache{bus: bus, cache: newLocalCache(bus, AgentTTL, byID, source.Get)}
	c.cache.spread = agentTTLSpread
	bus.Handle(topicAgent, func(raw string) {
		if id, err := domain.ParseID(raw); err == nil {
			c.cache.drop(id)
		}
	})
	return c
}

// Get serves from memory when it can, else from the source.
func (c *AgentCache) Get(ctx context.Context, id domain.ID) (agent.Agent, error) {
	return c.cache.fetch(ctx, id, clock.Now())
}

// AgentChanged drops the agent here and on every other instance.
func (c *AgentCache) AgentChanged(ctx context.Context, agentID domain.ID) {
	c.bus.Publish(ctx, topicAgent, agentID.String())
}
