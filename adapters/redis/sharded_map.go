package redis

import (
	"iter"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/extguard/extguard/domain"
)

// shardedMap is a map for the agent API's hot path: reads take no lock and
// write no shared memory, and find their entry in a plain Go map (sync.Map's
// trie costs a cache miss per level, and with 100,000 agents those misses
// were a measurable share of a heartbeat). Entries are spread over 4,096
// shards, each a map never modified once published; writers, rare next to
// reads, serialise on mu and publish a modified copy of one shard. With
// 256 shards that copy was ~16 us at 100,000 entries (BenchmarkLocalCachePut)
// and ten times that at a million, where filling the agent cache held 92 MB
// of discarded shard copies (maps.Clone) in the fleet run's heap; 4,096 keep
// a shard at ~250 entries for a million agents. So it is only
// for keys that stand for things that exist (agents, keys, groups), never
// for keys a client can invent, whose inserts would each copy a shard.
type shardedMap[K comparable, V any] struct {
	shardOf func(K) uint16 // well-mixed bits of the key (the low shardBits are used)

	mu     sync.Mutex // writers
	shards [1 << shardBits]atomic.Pointer[map[K]V]
	size   atomic.Int64
}

// shardBits: 4,096 shards.
const shardBits = 12

func newShardedMap[K comparable, V any](shardOf func(K) uint16) *shardedMap[K, V] {
	return &shardedMap[K, V]{shardOf: shardOf}
}

// byID shards by an id's last two bytes, random in UUIDs v4 and v7.
func byID(id domain.ID) uint16 { return uint16(id[len(id)-2])<<8 | uint16(id[len(id)-1]) }

// shard is k's shard index.
func (m *shardedMap[K, V]) shard(k K) uint16 { return m.shardOf(k) & (1<<shardBits - 1) }

func (m *shardedMap[K, V]) load(k K) (V, bool) {
	s := m.shards[m.shard(k)].Load()
	if s == nil {
		var zero V
		return zero, false
	}
	v, ok := (*s)[k]
	return v, ok
}

// loadOrStore returns k's value, storing made() first if there is none.
func (m *shardedMap[K, V]) loadOrStore(k K, made func() V) V {
	if v, ok := m.load(k); ok {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.load(k); ok {
		return v
	}
	v := made()
	m.editLocked(m.shard(k), func(s map[K]V) { s[k] = v })
	m.size.Add(1)
	return v
}

func (m *shardedMap[K, V]) store(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.editLocked(m.shard(k), func(s map[K]V) {
		if _, had := s[k]; !had {
			m.size.Add(1)
		}
		s[k] = v
	})
}

func (m *shardedMap[K, V]) delete(k K) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.load(k); !ok {
		return
	}
	m.editLocked(m.shard(k), func(s map[K]V) { delete(s, k) })
	m.size.Add(-1)
}

// deleteWhere drops the entries fn picks, copying only the shards it changes.
func (m *shardedMap[K, V]) deleteWhere(fn func(K, V) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.shards {
		s := m.shards[i].Load()
		if s == nil || !anyEntry(*s, fn) {
			continue
		}
		m.editLocked(uint16(i), func(s map[K]V) {
			maps.DeleteFunc(s, func(k K, v V) bool {
				if fn(k, v) {
					m.size.Add(-1)
					return true
				}
				return false
			})
		})
	}
}

func anyEntry[K comparable, V any](s map[K]V, fn func(K, V) bool) bool {
	for k, v := range s {
		if fn(k, v) {
			return true
		}
	}
	return false
}

func (m *shardedMap[K, V]) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.shards {
		m.shards[i].Store(nil)
	}
	m.size.Store(0)
}

func (m *shardedMap[K, V]) len() int { return int(m.size.Load()) }

// all iterates a snapshot of each shard.
func (m *shardedMap[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for i := range m.shards {
			s := m.shards[i].Load()
			if s == nil {
				continue
			}
			for k, v := range *s {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}

// editLocked publishes a copy of shard i changed by edit; m.mu is held.
func (m *shardedMap[K, V]) editLocked(i uint16, edit func(map[K]V)) {
	var next map[K]V
	if old := m.shards[i].Load(); old != nil {
		next = maps.Clone(*old)
	} else {
		next = map[K]V{}
	}
	edit(next)
	m.shards[i].Store(&next)
}
