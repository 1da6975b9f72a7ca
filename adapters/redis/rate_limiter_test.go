package redis

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
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
	key := "extguard:rl:" + agent.String() + ":" + strconv.FormatInt(fc.Now().Truncate(time.Minute).Unix(), 10)
	if n, err := rdb.Get(ctx, key).Int(); err != nil || n != 2 {
		t.Fatalf("Redis holds %d for %s (%v), want the window's 2 requests", n, key, err)
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

// A subject's window goes to Redis only once this instance has counted a
// tenth of its limit, and then on every sync; its key expires after the
// window, also when Redis lost it meanwhile.
func TestRateLimiterPushesASubjectFromATenthOfItsLimit(t *testing.T) {
	fc, rdb, r := newClockedLimiter(t)
	ctx := context.Background()
	agent := application.RateSubject{Kind: "agent", ID: domain.NewID()}
	key := "extguard:rl:" + agent.String() + ":" + strconv.FormatInt(fc.Now().Truncate(time.Minute).Unix(), 10)
	inRedis := func() int {
		t.Helper()
		n, err := rdb.Get(ctx, key).Int()
		if err != nil && !errors.Is(err, goredis.Nil) {
			t.Fatal(err)
		}
		return n
	}
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
	if n := inRedis(); n != 0 {
		t.Fatalf("Redis holds %d after 5 of a limit of 60, want nothing yet", n)
	}
	allow(1)
	r.Sync(ctx)
	if n := inRedis(); n != 6 {
		t.Fatalf("Redis holds %d after 6 of 60, want 6", n)
	}
	if ttl := rdb.TTL(ctx, key).Val(); ttl <= 0 {
		t.Fatalf("the window's key has no expiry (%s)", ttl)
	}
	allow(1) // past the tenth, every count goes on
	r.Sync(ctx)
	if n := inRedis(); n != 7 {
		t.Fatalf("Redis holds %d, want 7", n)
	}

	rdb.Del(ctx, key) // Redis lost the key (a restart, a failover)
	allow(2)
	r.Sync(ctx)
	if n, ttl := inRedis(), rdb.TTL(ctx, key).Val(); n != 2 || ttl <= 0 {
		t.Fatalf("a key made anew holds %d with expiry %s, want 2 and an expiry", n, ttl)
	}
}
