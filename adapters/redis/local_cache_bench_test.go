package redis

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

// noSource stands for the database: these benchmarks fill the cache with put.
func noSource(context.Context, domain.ID) ([64]byte, error) { return [64]byte{}, nil }

// BenchmarkLocalCacheGet reads one of 100,000 agents' entries per request
// (the fleet the design is for), from parallel goroutines, with a stride
// so consecutive reads are far apart in memory as a fleet's requests are.
func BenchmarkLocalCacheGet(b *testing.B) {
	bus := &Bus{}
	bus.connected.Store(true)
	c := newLocalCache(bus, time.Hour, byID, noSource)
	ids := make([]domain.ID, 100_000)
	now := time.Now()
	for i := range ids {
		ids[i] = domain.NewID()
		c.put(c.begin(), ids[i], [64]byte{byte(i)}, now)
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(7919)) % len(ids)
			if v, ok := c.get(ids[i], now); !ok || v[0] != byte(i) {
				b.Fatal("entry missing")
			}
		}
	})
}

// BenchmarkLocalCachePut is the price of the lock-free reads: a load into
// a cache of 100,000 entries copies one of its 4,096 shards (~25 entries).
func BenchmarkLocalCachePut(b *testing.B) {
	bus := &Bus{}
	bus.connected.Store(true)
	c := newLocalCache(bus, time.Hour, byID, noSource)
	now := time.Now()
	for range 100_000 {
		c.put(c.begin(), domain.NewID(), [64]byte{}, now)
	}
	ids := make([]domain.ID, b.N)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, id := range ids {
		c.put(c.begin(), id, [64]byte{}, now)
	}
}
