package redis

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// A subject's counter rolls into the next window in place, its counts
// reach Redis, and a subject idle for a whole window is forgotten; names
// (which clients invent) are kept apart from ids.
func TestRateLimiterWindowsRollAndIdleSubjectsAreForgotten(t *testing.T) {
	fc := &fakeClock{}
	fc.set(time.Now().Truncate(time.Minute).Add(10 * time.Second)) // Redis expires the windows by real time
	old := clock
	clock = fc
	t.Cleanup(func() { clock = old })

	ctx := context.Background()
	rdb := redistest.Client(t)
	r := NewRateLimiter(rdb, slog.New(slog.DiscardHandler))
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

func names(r *RateLimiter) int {
	n := 0
	r.names.Range(func(any, any) bool { n++; return true })
	return n
}
