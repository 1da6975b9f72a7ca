package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

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

// localCache is an in-process read-through cache of read, trusted only while
// the bus is connected. Every invalidation bumps a generation, and a value
// read from the source is stored only if no invalidation happened since the
// read began: otherwise a read racing a revocation could cache the old row.
// Every agent request reads two or three of these, so reads take only a
// shard's read lock (see shardedMap); loads and invalidations serialise on mu.
type localCache[K comparable, V any] struct {
	bus    *Bus
	ttl    time.Duration
	spread float64 // share of ttl by which an entry may expire early, at random (0: none)
	read   func(context.Context, K) (V, error)
	flight singleflight.Group

	mu      sync.Mutex // writers, for gen
	gen     uint64
	entries *shardedMap[K, cached[V]]
}

// cached is an entry, held in its shard's map by value: a pointer to it
// cost an allocation and a pointer per entry, ~60 bytes an agent.
type cached[V any] struct {
	v       V
	expires int64 // Unix nanoseconds (a time.Time is 24 bytes)
}

// expired: the entry's lifetime ended before now.
func (e cached[V]) expired(now time.Time) bool { return now.UnixNano() > e.expires }

// newLocalCache returns a cache of what read returns, its entries spread
// over shards by shardOf.
func newLocalCache[K comparable, V any](bus *Bus, ttl time.Duration, shardOf func(K) uint16,
	read func(context.Context, K) (V, error)) *localCache[K, V] {
	c := &localCache[K, V]{bus: bus, ttl: ttl, read: read, entries: newShardedMap[K, cached[V]](shardOf)}
	bus.OnReset(c.dropAll)
	return c
}

// get returns a live entry while the bus is connected.
func (c *localCache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if !c.bus.Connected() {
		return zero, false
	}
	entry, ok := c.entries.load(k)
	if !ok || entry.expired(now) {
		return zero, false
	}
	return entry.v, true
}

// begin is called before reading the source; put needs its result.
func (c *localCache[K, V]) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	if c.entries.len() >= maxEntries {
		c.entries.deleteWhere(func(_ K, e cached[V]) bool { return e.expired(now) })
		if c.entries.len() >= maxEntries {
			c.entries.clear()
		}
	}
	c.entries.store(k, cached[V]{v: v, expires: now.Add(c.lifetime()).UnixNano()})
}

// lifetime is a new entry's: ttl, less up to spread of it at random, so
// entries loaded together (a fleet enrolling, or its first heartbeats after
// a restart) do not all expire, and reload, in the same second.
func (c *localCache[K, V]) lifetime() time.Duration {
	if c.spread <= 0 {
		return c.ttl
	}
	return c.ttl - time.Duration(rand.Float64()*c.spread*float64(c.ttl))
}

// fetch serves k from memory when it can, else loads it: once for all the
// requests missing k at the same time (a fleet's shared key or group policy
// expiring must not become a query storm).
func (c *localCache[K, V]) fetch(ctx context.Context, k K, now time.Time) (V, error) {
	if v, ok := c.get(k, now); ok {
		return v, nil
	}
	v, err, _ := c.flight.Do(fmt.Sprint(k), func() (any, error) { return c.load(ctx, k, now) })
	if err != nil {
		var zero V
		return zero, err
	}
	return v.(V), nil
}

// load reads k and stores it, unless an invalidation came while it read
// (see begin and put); the entry lives ttl from now. The read serves every
// request waiting for it, so it is detached from the caller's cancellation,
// but bounded (sourceContext).
func (c *localCache[K, V]) load(ctx context.Context, k K, now time.Time) (V, error) {
	gen := c.begin()
	lctx, cancel := sourceContext(ctx)
	defer cancel()
	v, err := c.read(lctx, k)
	if err == nil {
		c.put(gen, k, v, now)
	}
	return v, err
}

// maxEntries bounds a cache; beyond it expired entries are swept, and if
// that is not enough the cache starts over. The agent cache holds every
// agent that talks (only agents that exist are stored), so a fleet larger
// than the bound would empty it again and again and send its heartbeats to
// the database: the bound leaves room for two million agents (215 bytes
// an agent's entry measured at 100,000, BenchmarkHeapPerAgent: ~430 MB at
// the bound).
const maxEntries = 2_000_000

// expiringBefore lists the keys of entries that expire before t.
func (c *localCache[K, V]) expiringBefore(t time.Time) []K {
	var out []K
	for k, e := range c.entries.all() {
		if e.expires < t.UnixNano() {
			out = append(out, k)
		}
	}
	return out
}

func (c *localCache[K, V]) drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.delete(k)
}

// dropWhere drops every entry matching fn (rare: revocations).
func (c *localCache[K, V]) dropWhere(fn func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.deleteWhere(func(_ K, e cached[V]) bool { return fn(e.v) })
}

func (c *localCache[K, V]) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.clear()
}
