package redis

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
)

// exceptionStore is an in-memory ExceptionSource counting its reads.
type exceptionStore struct {
	mu    sync.Mutex
	list  []application.AgentException
	reads atomic.Int64
}

func (s *exceptionStore) Live(_ context.Context, now time.Time) ([]application.AgentException, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]application.AgentException(nil), s.list...), nil
}

func (s *exceptionStore) ForAgent(ctx context.Context, id domain.ID, now time.Time) ([]application.AgentException, error) {
	all, _ := s.Live(ctx, now)
	var out []application.AgentException
	for _, e := range all {
		if e.AgentID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestExceptionOverlay: an agent without exceptions gets its group's policy
// itself; one with an exception its own ETag, from memory, until the
// exception expires by the clock; an invalidation reloads the snapshot.
func TestExceptionOverlay(t *testing.T) {
	bus := NewBus(redistest.Client(t), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(5 * time.Second); !bus.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("bus never connected")
		}
	}
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	excepted, plain := domain.NewID(), domain.NewID()
	store := &exceptionStore{list: []application.AgentException{
		{AgentID: excepted, ExtensionID: "dev.tool", ExpiresAt: now.Add(time.Minute)}}}
	o := NewExceptionOverlay(store, bus)
	o.now = func() time.Time { return now }
	group := application.CompiledPolicy{Policy: policy.Compile(policy.CompileInput{GroupID: domain.NewID()}), GeneratedAt: now}

	got, err := o.Apply(ctx, plain, group)
	if err != nil || got.Policy.ETag != group.Policy.ETag || len(got.Policy.Allowed) != 0 {
		t.Fatalf("agent without exceptions: %v %+v", err, got.Policy)
	}
	mine, _ := o.Apply(ctx, excepted, group)
	if mine.Policy.ETag == group.Policy.ETag || len(mine.Policy.Allowed) != 1 {
		t.Fatalf("excepted agent: %+v", mine.Policy)
	}
	for range 100 {
		_, _ = o.Apply(ctx, plain, group)
		_, _ = o.Apply(ctx, excepted, group)
	}
	if n := store.reads.Load(); n != 1 {
		t.Fatalf("%d reads of the source, want the one snapshot", n)
	}
	// The group's policy changes: the excepted agent's ETag changes too.
	changed := group
	changed.Policy.ETag, changed.GeneratedAt = `"p-changed"`, now.Add(time.Second)
	if again, _ := o.Apply(ctx, excepted, changed); again.Policy.ETag == mine.Policy.ETag || again.Policy.ETag == changed.Policy.ETag {
		t.Fatalf("after the group's change: %s (was %s)", again.Policy.ETag, mine.Policy.ETag)
	}
	now = now.Add(time.Minute) // the exception's expiry
	if after, _ := o.Apply(ctx, excepted, group); after.Policy.ETag != group.Policy.ETag {
		t.Fatal("an expired exception still applies")
	}
	store.mu.Lock()
	store.list = append(store.list, application.AgentException{AgentID: plain, ExtensionID: "other.tool"})
	store.mu.Unlock()
	o.ExceptionsChanged(ctx)
	if p, _ := o.Apply(ctx, plain, group); p.Policy.ETag == group.Policy.ETag || store.reads.Load() != 2 {
		t.Fatalf("the invalidation did not reload the snapshot (reads %d)", store.reads.Load())
	}
}

// TestExceptionOverlaySharesEqualPolicies: agents of one group with the
// same exceptions share one composed policy (one copy of the group's
// allowances, not one per agent); a different exception gets its own, and
// a recompiled group (same ETag, newer GeneratedAt) is never answered with
// the older copy.
func TestExceptionOverlaySharesEqualPolicies(t *testing.T) {
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	in := policy.CompileInput{GroupID: domain.NewID()}
	p := policy.Compile(in)
	for _, id := range []extension.ExtensionID{"a.one", "a.two", "a.three"} {
		p.Allowed = append(p.Allowed, policy.Allowance{ExtensionID: id})
	}
	group := application.CompiledPolicy{Policy: p, GeneratedAt: now}
	one, two, three := domain.NewID(), domain.NewID(), domain.NewID()
	snap := snapshotOf([]application.AgentException{{AgentID: one, ExtensionID: "dev.tool"},
		{AgentID: two, ExtensionID: "dev.tool"}, {AgentID: three, ExtensionID: "other.tool"}})
	p1 := compose(snap, snap.byAgent[one], group, now)
	p2 := compose(snap, snap.byAgent[two], group, now)
	p3 := compose(snap, snap.byAgent[three], group, now)
	if p1.Policy.ETag != p2.Policy.ETag || len(p1.Policy.Allowed) != 4 || &p1.Policy.Allowed[0] != &p2.Policy.Allowed[0] {
		t.Fatal("two agents with the same exceptions hold two copies of the policy")
	}
	if p3.Policy.ETag == p1.Policy.ETag || &p3.Policy.Allowed[0] == &p1.Policy.Allowed[0] {
		t.Fatal("agents with different exceptions share a policy")
	}
	later := group
	later.GeneratedAt = now.Add(time.Minute)
	if got := compose(snap, snap.byAgent[two], later, now); !got.GeneratedAt.Equal(later.GeneratedAt) || got.Policy.ETag != p1.Policy.ETag {
		t.Fatalf("after a recompile: %v %s", got.GeneratedAt, got.Policy.ETag)
	}
}
