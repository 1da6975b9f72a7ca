package redis

import (
	"context"
	"sync"
	"time"

	"github.com/extguard/extguard/application"
)

// SourceTimeout bounds a cache's load from the database. A load serves
// every request waiting for it, so it is detached from the first caller's
// cancellation, but never unbounded: a hung database fails the waiters
// instead of holding them. Requests that hit memory need no deadline at all.
const SourceTimeout = 5 * time.Second

// clock times the hot path's cache expiry and rate-limit windows; it is
// coarse because a system clock read per lookup showed in heartbeat profiles.
var clock application.Clock = application.CoarseClock{}

// sourceContext is the context of a load shared by waiting requests.
func sourceContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), SourceTimeout)
}

// localCache is an in-process cache trusted only while the bus is
// connected. Every invalidation bumps a generation, and a value read from
// the source is stored only if no invalidation happened since the read
// began: otherwise a read racing a revocation could cache the old row.
type localCache[K comparable, V any] struct {
	bus *Bus
	ttl time.Duration

	mu  sync.RWMutex
	gen uint64
	m   map[K]cached[V]
}

type cached[V any] struct {
	v       V
	expires time.Time
}

func newLocalCache[K comparable, V any](bus *Bus, ttl time.Duration) *localCache[K, V] {
	c := &localCache[K, V]{bus: bus, ttl: ttl, m: map[K]cached[V]{}}
	bus.OnReset(c.dropAll)
	return c
}

// get returns a live entry while the bus is connected.
func (c *localCache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if !c.bus.Connected() {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return zero, false
	}
	return e.v, true
}

// begin is called before reading the source; put needs its result.
func (c *localCache[K, V]) begin() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores v unless the bus is down or anything was invalidated since begin.
func (c *localCache[K, V]) put(gen uint64, k K, v V, now time.Time) {
	if !c.bus.Connected() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxEntries {
		c.sweepLocked(now)
	}
	c.m[k] = cached[V]{v: v, expires: now.Add(c.ttl)}
}

// maxEntries bounds a cache; beyond it expired entries are swept, and if
// that is not enough the cache starts over.
const maxEntries = 500_000

func (c *localCache[K, V]) sweepLocked(now time.Time) {
	for k, e := range c.m {
		if now.After(e.expires) {
			delete(c.m, k)
		}
	}
	if len(c.m) >= maxEntries {
		c.m = map[K]cached[V]{}
	}
}

// expiringBefore lists the keys of entries that expire before t.
func (c *localCache[K, V]) expiringBefore(t time.Time) []K {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []K
	for k, e := range c.m {
		if e.expires.Before(t) {
			out = append(out, k)
		}
	}
	return out
}

func (c *localCache[K, V]) drop(k K) {
	c.mu.Lock()
	c.gen++
	delete(c.m, k)
	c.mu.Unlock()
}

// dropWhere drops every entry matching fn (rare: revocations).
func (c *localCache[K, V]) dropWhere(fn func(V) bool) {
	c.mu.Lock()
	c.gen++
	for k, e := range c.m {
		if fn(e.v) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

func (c *localCache[K, V]) dropAll() {
	c.mu.Lock()
	c.gen++
	c.m = map[K]cached[V]{}
	c.mu.Unlock()
}
