package redis

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// A subject's counter rolls into the next window in place, its counts
// reach Redis, and a subject idle for a whole window is forgotten; names
// (which clients invent) are kept apart from ids.
func TestRateLimiterWindowsRollAndIdleSubjectsAreForgotten(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	ctx := context.Background()
	agent := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	for i := range 2 {
		if ok, _ := r.Allow(ctx, agent, 2, time.Minute); !ok {
			t.Fatalf("request %d refused under the limit", i+1)
		}
	}
	ok, after := r.Allow(ctx, agent, 2, time.Minute)
	if ok || after != 50*time.Second {
		t.Fatalf("third request in the window: allowed %v, retry after %s; want refused, 50s", ok, after)
	}
	r.Sync(ctx)
	if n := windowTotal(t, rdb, fc)(agent); n != 2 {
		t.Fatalf("Redis holds %d, want the window's 2 requests", n)
	}

	account := application.RateSubject{Kind: "login:account", Name: "someone@example.com"}
	if ok, _ := r.Allow(ctx, account, 10, time.Minute); !ok {
		t.Fatal("a login refused under its limit")
	}
	if r.ids.len() != 1 || names(r) != 1 {
		t.Fatalf("%d id subjects and %d named ones, want the agent and the account", r.ids.len(), names(r))
	}

	fc.advance(time.Minute) // the next window
	if ok, _ := r.Allow(ctx, agent, 2, time.Minute); !ok {
		t.Fatal("refused in a new window")
	}
	r.Sync(ctx)
	if r.ids.len() != 1 {
		t.Fatalf("%d subjects after a sync in an active window, want 1", r.ids.len())
	}
	fc.advance(2 * time.Minute) // idle for a whole window after the last ended
	r.Sync(ctx)
	if r.ids.len() != 0 || names(r) != 0 {
		t.Fatalf("%d id subjects and %d named ones kept after a window of idleness, want none", r.ids.len(), names(r))
	}
}

// newClockedLimiter is a limiter on a test Redis whose clock the test moves,
// set 10 s into a minute (Redis expires the windows by real time).
func newClockedLimiter(t *testing.T) (*fakeClock, *goredis.Client, *RateLimiter) {
	fc := &fakeClock{}
	fc.set(time.Now().Truncate(time.Minute).Add(10 * time.Second))
	old := clock
	clock = fc
	t.Cleanup(func() { clock = old })
	rdb := redistest.Client(t)
	return fc, rdb, NewRateLimiter(rdb, slog.New(slog.DiscardHandler))
}

func names(r *RateLimiter) int {
	n := 0
	r.names.Range(func(any, any) bool { n++; return true })
	return n
}

// Subjects of different kinds are apart even when their ids are equal:
// the counters are kept per kind, keyed by the id alone.
func TestRateLimiterKeepsKindsOfOneIDApart(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	ctx := context.Background()
	id := domain.NewID()
	agent, key := application.RateSubject{Kind: "agent", ID: id}, application.RateSubject{Kind: "key", ID: id}
	if ok, _ := r.Allow(ctx, agent, 1, time.Minute); !ok {
		t.Fatal("the agent's first request refused")
	}
	if ok, _ := r.Allow(ctx, key, 1, time.Minute); !ok {
		t.Fatal("the key's first request refused: it was counted with the agent of the same id")
	}
	if ok, _ := r.Allow(ctx, agent, 1, time.Minute); ok {
		t.Fatal("the agent's second request allowed over its limit of 1")
	}
	if r.ids.len() != 2 {
		t.Fatalf("%d id subjects, want the agent and the key", r.ids.len())
	}
	// In Redis too: each kind's window under its own key, with its own count.
	r.Sync(ctx)
	inRedis := windowTotal(t, rdb, fc)
	if a, k := inRedis(agent), inRedis(key); a != 1 || k != 1 || windowKey(fc, agent) == windowKey(fc, key) {
		t.Fatalf("Redis holds %d for the agent and %d for the key (keys %s, %s), want 1 each apart",
			a, k, windowKey(fc, agent), windowKey(fc, key))
	}
}

// The window of a subject named by an id goes to Redis only once this
// instance has counted a tenth of its limit, and then on every sync; a
// login subject goes from its first count; keys expire after the window,
// also when Redis lost one meanwhile.
func TestRateLimiterPushesAnIDSubjectFromATenthOfItsLimit(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	ctx := context.Background()
	agent := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	inRedis := windowTotal(t, rdb, fc)
	allow := func(n int) {
		t.Helper()
		for range n {
			if ok, _ := r.Allow(ctx, agent, 60, time.Minute); !ok {
				t.Fatal("refused under the limit")
			}
		}
	}

	allow(5)
	r.Sync(ctx)
	if n := inRedis(agent); n != 0 {
		t.Fatalf("Redis holds %d after 5 of a limit of 60, want nothing yet", n)
	}
	allow(1)
	r.Sync(ctx)
	if n := inRedis(agent); n != 6 {
		t.Fatalf("Redis holds %d after 6 of 60, want 6", n)
	}
	allow(1) // past the tenth, every count goes on
	r.Sync(ctx)
	if n := inRedis(agent); n != 7 {
		t.Fatalf("Redis holds %d, want 7", n)
	}
	key := windowKey(fc, agent)
	if ttl := rdb.TTL(ctx, key).Val(); ttl <= 0 {
		t.Fatalf("the window's key has no expiry (%s)", ttl)
	}
	rdb.Del(ctx, key) // Redis lost the key (a restart, a failover)
	allow(2)
	r.Sync(ctx)
	if n, ttl := inRedis(agent), rdb.TTL(ctx, key).Val(); n != 2 || ttl <= 0 {
		t.Fatalf("a key made anew holds %d with expiry %s, want 2 and an expiry", n, ttl)
	}

	address := application.RateSubject{Kind: "login:address", Name: "192.0.2.7"}
	if ok, _ := r.Allow(ctx, address, 100, time.Minute); !ok {
		t.Fatal("a login refused under its limit")
	}
	r.Sync(ctx)
	if n := inRedis(address); n != 1 {
		t.Fatalf("Redis holds %d login attempts after one and a sync, want 1: instances would not share login limits", n)
	}
}

// One instance refuses exactly at the limit, below the tenth or not; two
// instances share the limit once their counts are in Redis.
func TestRateLimiterEnforcesOnOneAndAcrossInstances(t *testing.T) {
	_, rdb, a := newClockedLimiter(t)
	b := NewRateLimiter(rdb, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	subject := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	allowed := func(r *RateLimiter, n int) int {
		ok := 0
		for range n {
			if yes, _ := r.Allow(ctx, subject, 20, time.Minute); yes {
				ok++
			}
		}
		return ok
	}
	if got := allowed(a, 25); got != 20 {
		t.Fatalf("one instance allowed %d of 25 against a limit of 20", got)
	}
	if ok, after := a.Allow(ctx, subject, 20, time.Minute); ok || after != 50*time.Second {
		t.Fatalf("over the limit: allowed %v, retry after %s; want refused, 50s", ok, after)
	}
	a.Sync(ctx) // 20 in Redis
	if got := allowed(b, 2); got != 2 {
		t.Fatalf("the second instance allowed %d of 2 before learning the total", got)
	}
	b.Sync(ctx) // b's tenth (2 of 20): its counts go to Redis, and it learns the total
	if got := allowed(b, 5); got != 0 {
		t.Fatalf("the second instance allowed %d more after the first had used the whole limit", got)
	}
}

// windowTotal reads a subject's count for the current minute in Redis.
func windowTotal(t *testing.T, rdb *goredis.Client, fc *fakeClock) func(application.RateSubject) int {
	return func(s application.RateSubject) int {
		t.Helper()
		n, err := rdb.Get(context.Background(), windowKey(fc, s)).Int()
		if err != nil && !errors.Is(err, goredis.Nil) {
			t.Fatal(err)
		}
		return n
	}
}

func windowKey(fc *fakeClock, s application.RateSubject) string {
	return "extguard:rl:" + s.String() + ":" + strconv.FormatInt(fc.Now().Truncate(time.Minute).Unix(), 10)
}

// A sync pushes only the windows with counts due, and those still after
// their window has ended; counts a failed sync could not push go with the
// next one.
func TestRateLimiterPushesDueWindowsAlsoAfterTheyEndOrAFailedSync(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	ctx := context.Background()
	busy := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	quiet := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	for range 3 {
		r.Allow(ctx, busy, 20, time.Minute) // past its tenth (2)
	}
	r.Allow(ctx, quiet, 20, time.Minute) // under its tenth
	if n := len(r.due); n != 1 {
		t.Fatalf("%d windows queued for the sync, want the busy agent's only", n)
	}
	endedKey := windowKey(fc, busy)
	fc.advance(time.Minute) // the window ends before the sync
	r.Sync(ctx)
	if n, err := rdb.Get(ctx, endedKey).Int(); err != nil || n != 3 {
		t.Fatalf("the ended window holds %d in Redis (%v), want its 3 counts", n, err)
	}

	live := r.rdb
	r.rdb = goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = r.rdb.Close() })
	login := application.RateSubject{Kind: "login:account", Name: "someone@example.com"}
	r.Allow(ctx, login, 10, time.Minute)
	r.Sync(ctx) // Redis unreachable
	if r.healthy.Load() {
		t.Fatal("a failed sync left the limiter healthy")
	}
	r.rdb = live
	r.Allow(ctx, login, 10, time.Minute) // fails open, uncounted
	r.Sync(ctx)
	if n := windowTotal(t, rdb, fc)(login); n != 1 || !r.healthy.Load() {
		t.Fatalf("after Redis came back it holds %d (healthy %v), want the count made before it went", n, r.healthy.Load())
	}
}

// Login limits count failures only: Reached asks without counting and
// Count counts, across instances through Redis. While Redis is unreachable
// they do not fail open: counts go on in the instance, limit it, and reach
// Redis once it is back.
func TestRateLimiterLoginCountsAskWithoutCountingAndOutliveAnOutage(t *testing.T) {
	fc, rdb, a := newClockedLimiter(t)
	b := NewRateLimiter(rdb, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	pair := application.RateSubject{Kind: "login:account-address", Name: "admin@example.com 192.0.2.1"}
	for range 5 {
		if reached, _ := a.Reached(ctx, pair, 3, time.Minute); reached {
			t.Fatal("asking counted")
		}
	}
	for range 3 {
		a.Count(ctx, pair, 3, time.Minute)
	}
	if reached, after := a.Reached(ctx, pair, 3, time.Minute); !reached || after != 50*time.Second {
		t.Fatalf("after 3 failures of 3: reached %v, retry after %s; want reached, 50s", reached, after)
	}
	a.Sync(ctx)
	if n := windowTotal(t, rdb, fc)(pair); n != 3 {
		t.Fatalf("Redis holds %d, want the 3 failures and nothing for asking", n)
	}
	b.Count(ctx, pair, 3, time.Minute)
	b.Sync(ctx) // learns the total
	if reached, _ := b.Reached(ctx, pair, 3, time.Minute); !reached {
		t.Fatal("the second instance does not see the first one's failures")
	}

	live := a.rdb
	a.rdb = goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = a.rdb.Close() })
	account := application.RateSubject{Kind: "login:account", Name: "admin@example.com"}
	a.Sync(ctx) // Redis unreachable
	for range 2 {
		a.Count(ctx, account, 2, time.Minute)
	}
	a.Sync(ctx)
	if reached, _ := a.Reached(ctx, account, 2, time.Minute); !reached || a.healthy.Load() {
		t.Fatalf("with Redis down (healthy %v) 2 failures of 2 are not reached: the login limit failed open", a.healthy.Load())
	}
	a.rdb = live
	a.Sync(ctx)
	if n := windowTotal(t, rdb, fc)(account); n != 2 {
		t.Fatalf("Redis holds %d after it came back, want the 2 failures counted during the outage", n)
	}
}

// An idle server's limiter asks Redis once a second whether it is there,
// not on every 100 ms sync.
func TestIdleSyncsPingRedisOncePerSecond(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	pings := &pingCounter{}
	rdb.AddHook(pings)
	for range 25 { // 2.5 s of syncs with nothing due
		r.sync(context.Background(), false)
		fc.advance(r.interval)
	}
	if n := pings.n.Load(); n < 2 || n > 4 {
		t.Fatalf("%d pings in 2.5 s of idle syncs, want about one a second", n)
	}
}

type pingCounter struct{ n atomic.Int64 }

func (*pingCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (*pingCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}
func (p *pingCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if cmd.Name() == "ping" {
			p.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// With nothing counted, Run wakes about once a second, not every interval.
func TestIdleRunWakesOncePerSecond(t *testing.T) {
	rdb := redistest.Client(t)
	pings := &pingCounter{}
	rdb.AddHook(pings)
	r := NewRateLimiter(rdb, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_ = r.Run(ctx)
	if n := pings.n.Load(); n > 3 {
		t.Fatalf("%d pings in 1.5 s of an idle Run, want at most 3", n)
	}
}
