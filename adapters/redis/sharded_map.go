package redis

import (
	"iter"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/extguard/extguard/domain"
)

// shardedMap is a map for the agent API's hot path: its entries are spread
// over 4,096 shards, each a plain Go map (sync.Map's trie costs a cache miss
// per level, and with 100,000 agents those misses were a measurable share of
// a heartbeat) behind a read-write lock of its own, so two requests rarely
// meet on one lock. Writers change their shard in place.
//
// Shards used to be copy-on-write (lock-free reads, each write publishing a
// modified copy of its shard). At a million agents that made every insert
// and refresh copy ~250 entries: the fleet run's profile had 290 MB of the
// server's 517 MB live heap in shard copies (maps.Clone), the rate limiter's
// inserts at 7% of its CPU and the collector at 10%. A read lock costs an
// atomic add on the shard's own cache line instead.
type shardedMap[K comparable, V any] struct {
	shardOf func(K) uint16 // well-mixed bits of the key (the low shardBits are used)
	shards  [1 << shardBits]mapShard[K, V]
	size    atomic.Int64
}

// mapShard is one shard, padded to a cache line so that neighbouring
// shards' locks do not share one.
type mapShard[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
	_  [64 - 24 - 8]byte
}

// shardBits: 4,096 shards.
const shardBits = 12

func newShardedMap[K comparable, V any](shardOf func(K) uint16) *shardedMap[K, V] {
	return &shardedMap[K, V]{shardOf: shardOf}
}

// byID shards by an id's last two bytes, random in UUIDs v4 and v7.
func byID(id domain.ID) uint16 { return uint16(id[len(id)-2])<<8 | uint16(id[len(id)-1]) }

// shard is k's shard.
func (m *shardedMap[K, V]) shard(k K) *mapShard[K, V] {
	return &m.shards[m.shardOf(k)&(1<<shardBits-1)]
}

func (m *shardedMap[K, V]) load(k K) (V, bool) {
	s := m.shard(k)
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	return v, ok
}

// loadOrStore returns k's value, storing made() first if there is none.
func (m *shardedMap[K, V]) loadOrStore(k K, made func() V) V {
	if v, ok := m.load(k); ok {
		return v
	}
	s := m.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[k]; ok {
		return v
	}
	v := made()
	s.put(k, v, &m.size)
	return v
}

func (m *shardedMap[K, V]) store(k K, v V) {
	s := m.shard(k)
	s.mu.Lock()
	s.put(k, v, &m.size)
	s.mu.Unlock()
}

// put stores v under k, counting a new key in size; s.mu is held.
func (s *mapShard[K, V]) put(k K, v V, size *atomic.Int64) {
	if s.m == nil {
		s.m = map[K]V{}
	}
	if _, had := s.m[k]; !had {
		size.Add(1)
	}
	s.m[k] = v
}

func (m *shardedMap[K, V]) delete(k K) {
	s := m.shard(k)
	s.mu.Lock()
	if _, ok := s.m[k]; ok {
		delete(s.m, k)
		m.size.Add(-1)
	}
	s.mu.Unlock()
}

// deleteWhere drops the entries fn picks, one shard at a time.
func (m *shardedMap[K, V]) deleteWhere(fn func(K, V) bool) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		maps.DeleteFunc(s.m, func(k K, v V) bool {
			if fn(k, v) {
				m.size.Add(-1)
				return true
			}
			return false
		})
		s.mu.Unlock()
	}
}

func (m *shardedMap[K, V]) clear() {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		m.size.Add(-int64(len(s.m)))
		s.m = nil
		s.mu.Unlock()
	}
}

func (m *shardedMap[K, V]) len() int { return int(m.size.Load()) }

// all iterates a copy of each shard in turn, taken under its read lock, so
// that the caller may write to the map while it iterates.
func (m *shardedMap[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for i := range m.shards {
			s := &m.shards[i]
			s.mu.RLock()
			snapshot := maps.Clone(s.m)
			s.mu.RUnlock()
			for k, v := range snapshot {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}
