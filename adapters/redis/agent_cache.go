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
// through enrollment and decommissioning, which invalidate at once.
const AgentTTL = 10 * time.Minute

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
	c := &AgentCache{bus: bus, cache: newLocalCache(bus, AgentTTL, byIDByte, source.Get)}
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
