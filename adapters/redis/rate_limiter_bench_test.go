package redis

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// BenchmarkRateLimiterAllow is an agent request's two checks: the fleet's
// shared key and one of 100,000 agents (the fleet the design is for), from parallel goroutines.
func BenchmarkRateLimiterAllow(b *testing.B) {
	r := NewRateLimiter(redistest.Client(b), slog.New(slog.DiscardHandler))
	key := application.RateSubject{Kind: "key", ID: domain.NewID()}
	agents := make([]application.RateSubject, 100_000)
	for i := range agents {
		agents[i] = application.RateSubject{Kind: "agent", ID: domain.NewID()}
	}
	ctx := context.Background()
	for _, a := range agents { // a running fleet's counters exist already
		_, _ = r.Allow(ctx, a, 1<<30, time.Minute)
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(7919)) // a stride, so consecutive requests are far apart in memory
			_, _ = r.Allow(ctx, key, 1<<30, time.Minute)
			if ok, _ := r.Allow(ctx, agents[i%len(agents)], 1<<30, time.Minute); !ok {
				b.Fatal("refused under the limit")
			}
		}
	})
}

// BenchmarkRateLimiterSync is one sync of a 100,000-agent fleet in which
// every agent has made a request this window, within its limit, and a
// hundred agents are busy enough for their counts to go to Redis. Syncs run
// ten times a second.
func BenchmarkRateLimiterSync(b *testing.B) {
	r := NewRateLimiter(redistest.Client(b), slog.New(slog.DiscardHandler))
	ctx := context.Background()
	agents := make([]application.RateSubject, 100_000)
	for i := range agents {
		agents[i] = application.RateSubject{Kind: "agent", ID: domain.NewID()}
		_, _ = r.Allow(ctx, agents[i], 60, time.Minute)
	}
	r.Sync(ctx) // the first sync also sweeps for idle subjects
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for _, a := range agents[:100] {
			for range 6 { // a tenth of 60
				_, _ = r.Allow(ctx, a, 1<<20, time.Minute)
			}
		}
		b.StartTimer()
		r.Sync(ctx)
	}
}
