package redis

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
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
//
// Reads take no lock and write no shared memory: every agent request reads
// two or three of these caches, and both a lock's shared counter bouncing
// between cores and sync.Map's pointer-chasing trie (a cache miss per level
// with 100,000 agents' entries) were measurable shares of a heartbeat. So
// the entries are spread over 256 shards, each a plain map that is never
// modified once published: writers (loads and invalidations, rare next to
// reads) serialise on mu and publish a modified copy of one shard.
type localCache[K comparable, V any] struct {
	bus     *Bus
	ttl     time.Duration
	shardOf func(K) byte // a well-mixed byte of the key

	mu     sync.Mutex // writers
	gen    uint64
	shards [256]atomic.Pointer[map[K]*cached[V]]
	size   atomic.Int64
}

type cached[V any] struct {
	v       V
	expires time.Time
}

func newLocalCache[K comparable, V any](bus *Bus, ttl time.Duration, shardOf func(K) byte) *localCache[K, V] {
	c := &localCache[K, V]{bus: bus, ttl: ttl, shardOf: shardOf}
	bus.OnReset(c.dropAll)
	return c
}

// byIDByte shards by an id's last byte, random in UUIDs v4 and v7.
func byIDByte(id domain.ID) byte { return id[len(id)-1] }

// get returns a live entry while the bus is connected.
func (c *localCache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if !c.bus.Connected() {
		return zero, false
	}
	m := c.shards[c.shardOf(k)].Load()
	if m == nil {
		return zero, false
	}
	entry, ok := (*m)[k]
	if !ok || now.After(entry.expires) {
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
	if c.size.Load() >= maxEntries {
		c.sweepLocked(now)
	}
	c.editLocked(c.shardOf(k), func(m map[K]*cached[V]) {
		if _, had := m[k]; !had {
			c.size.Add(1)
		}
		m[k] = &cached[V]{v: v, expires: now.Add(c.ttl)}
	})
}

// editLocked publishes a copy of shard i changed by edit.
func (c *localCache[K, V]) editLocked(i byte, edit func(map[K]*cached[V])) {
	var next map[K]*cached[V]
	if old := c.shards[i].Load(); old != nil {
		next = maps.Clone(*old)
	} else {
		next = map[K]*cached[V]{}
	}
	edit(next)
	c.shards[i].Store(&next)
}

// maxEntries bounds a cache; beyond it expired entries are swept, and if
// that is not enough the cache starts over.
const maxEntries = 500_000

func (c *localCache[K, V]) sweepLocked(now time.Time) {
	c.deleteWhereLocked(func(e *cached[V]) bool { return now.After(e.expires) })
	if c.size.Load() >= maxEntries {
		c.clearLocked()
	}
}

// deleteWhereLocked drops the entries fn picks, copying only the shards it
// changes.
func (c *localCache[K, V]) deleteWhereLocked(fn func(*cached[V]) bool) {
	for i := range c.shards {
		m := c.shards[i].Load()
		if m == nil || !anyEntry(*m, fn) {
			continue
		}
		c.editLocked(byte(i), func(m map[K]*cached[V]) {
			maps.DeleteFunc(m, func(_ K, e *cached[V]) bool {
				if fn(e) {
					c.size.Add(-1)
					return true
				}
				return false
			})
		})
	}
}

func anyEntry[K comparable, V any](m map[K]*cached[V], fn func(*cached[V]) bool) bool {
	for _, e := range m {
		if fn(e) {
			return true
		}
	}
	return false
}

func (c *localCache[K, V]) clearLocked() {
	for i := range c.shards {
		c.shards[i].Store(nil)
	}
	c.size.Store(0)
}

// expiringBefore lists the keys of entries that expire before t.
func (c *localCache[K, V]) expiringBefore(t time.Time) []K {
	var out []K
	for i := range c.shards {
		if m := c.shards[i].Load(); m != nil {
			for k, e := range *m {
				if e.expires.Before(t) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func (c *localCache[K, V]) drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	i := c.shardOf(k)
	if m := c.shards[i].Load(); m == nil || (*m)[k] == nil {
		return
	}
	c.editLocked(i, func(m map[K]*cached[V]) {
		delete(m, k)
		c.size.Add(-1)
	})
}

// dropWhere drops every entry matching fn (rare: revocations).
func (c *localCache[K, V]) dropWhere(fn func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.deleteWhereLocked(func(e *cached[V]) bool { return fn(e.v) })
}

func (c *localCache[K, V]) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.clearLocked()
}
