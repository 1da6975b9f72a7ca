package redis

import (
	"context"
	"time"

	"golang.org/x/sync/singleflight"

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
	source application.AgentLookup
	bus    *Bus
	cache  *localCache[domain.ID, agent.Agent]
	flight singleflight.Group
}

var (
	_ application.AgentLookup           = (*AgentCache)(nil)
	_ application.AgentCacheInvalidator = (*AgentCache)(nil)
)

// NewAgentCache returns the cache on source, invalidated through bus.
func NewAgentCache(source application.AgentLookup, bus *Bus) *AgentCache {
	c := &AgentCache{source: source, bus: bus, cache: newLocalCache[domain.ID, agent.Agent](bus, AgentTTL, byIDByte)}
	bus.Handle(topicAgent, func(raw string) {
		if id, err := domain.ParseID(raw); err == nil {
			c.cache.drop(id)
		}
	})
	return c
}

// Get serves from memory when it can, else from the source.
func (c *AgentCache) Get(ctx context.Context, id domain.ID) (agent.Agent, error) {
	now := clock.Now()
	if a, ok := c.cache.get(id, now); ok {
		return a, nil
	}
	v, err, _ := c.flight.Do(string(id[:]), func() (any, error) {
		return c.cache.load(ctx, id, now, func(ctx context.Context) (agent.Agent, error) { return c.source.Get(ctx, id) })
	})
	if err != nil {
		return agent.Agent{}, err
	}
	return v.(agent.Agent), nil
}

// AgentChanged drops the agent here and on every other instance.
func (c *AgentCache) AgentChanged(ctx context.Context, agentID domain.ID) {
	c.bus.Publish(ctx, topicAgent, agentID.String())
}
