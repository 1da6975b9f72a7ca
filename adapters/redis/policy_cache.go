package redis

import (
	"context"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
)

const (
	topicPolicy = "policy"
	allGroups   = "*"
)

// PolicyTTL bounds how long a compiled policy is served without news; every
// change that affects a group invalidates it at once through the bus.
const PolicyTTL = 10 * time.Minute

// PolicyCache holds compiled policies per group, compiling on a miss (one
// compilation per group at a time, however many requests wait for it).
type PolicyCache struct {
	inputs application.PolicyInputs
	bus    *Bus
	cache  *localCache[domain.ID, application.CompiledPolicy]
	now    func() time.Time
}

var (
	_ application.CompiledPolicies  = (*PolicyCache)(nil)
	_ application.PolicyInvalidator = (*PolicyCache)(nil)
)

// NewPolicyCache returns the cache compiling from inputs, invalidated through bus.
func NewPolicyCache(inputs application.PolicyInputs, bus *Bus) *PolicyCache {
	c := &PolicyCache{inputs: inputs, bus: bus, now: clock.Now}
	c.cache = newLocalCache(bus, PolicyTTL, byID, c.compile)
	bus.Handle(topicPolicy, func(raw string) {
		if raw == allGroups {
			c.cache.dropAll()
			return
		}
		if id, err := domain.ParseID(raw); err == nil {
			c.cache.drop(id)
		}
	})
	return c
}

// Get returns the group's compiled policy.
func (c *PolicyCache) Get(ctx context.Context, groupID domain.ID) (application.CompiledPolicy, error) {
	return c.cache.fetch(ctx, groupID, c.now())
}

// compile reads the group's inputs and compiles its policy.
func (c *PolicyCache) compile(ctx context.Context, groupID domain.ID) (application.CompiledPolicy, error) {
	in, err := c.inputs.Load(ctx, groupID)
	if err != nil {
		return application.CompiledPolicy{}, err
	}
	return application.CompiledPolicy{Policy: policy.Compile(in), GeneratedAt: c.now()}, nil
}

// GroupChanged drops the group's policy here and on every other instance.
func (c *PolicyCache) GroupChanged(ctx context.Context, groupID domain.ID) {
	c.bus.Publish(ctx, topicPolicy, groupID.String())
}

// AllGroupsChanged drops every policy here and on every other instance.
func (c *PolicyCache) AllGroupsChanged(ctx context.Context) {
	c.bus.Publish(ctx, topicPolicy, allGroups)
}
