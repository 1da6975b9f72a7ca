package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
)

const topicExceptions = "exceptions"

// ExceptionTTL bounds how long the exceptions snapshot is served without
// news; every grant and expiry invalidates it at once through the bus.
const ExceptionTTL = 10 * time.Minute

// ExceptionSource reads live exceptions (postgres.ExceptionRepository).
type ExceptionSource interface {
	Live(ctx context.Context, now time.Time) ([]application.AgentException, error)
	ForAgent(ctx context.Context, agentID domain.ID, now time.Time) ([]application.AgentException, error)
}

// ExceptionOverlay holds every live exception of the fleet in memory (one
// snapshot, loaded with one query after each invalidation) and applies an
// agent's to its group's compiled policy. An agent without exceptions costs
// one map lookup and gets its group's policy as it is; one with exceptions
// gets its composed policy from a memo until its group's policy changes or
// one of its exceptions expires. Expiry is checked against the clock, so
// the agent's ETag changes at the expiry itself; the worker's pass then
// ends the rows. While the bus is down each request reads its agent's
// exceptions from PostgreSQL (correct, slower), like the other caches.
type ExceptionOverlay struct {
	source ExceptionSource
	bus    *Bus
	cache  *localCache[struct{}, *exceptionSnapshot]
	now    func() time.Time
}

var (
	_ application.AgentExceptions      = (*ExceptionOverlay)(nil)
	_ application.ExceptionInvalidator = (*ExceptionOverlay)(nil)
)

type exceptionSnapshot struct {
	byAgent map[domain.ID]*agentOverlay
	// shared holds one composed policy per effective ETag: agents whose
	// group and applied exceptions are the same share one copy of the
	// group's allowances instead of one each (at 10,000 excepted agents of
	// a group allowing 1,000 extensions that is ~50 kB per agent, 0.5 GB).
	shared sync.Map // ETag -> application.CompiledPolicy
}

// agentOverlay is one agent's exceptions and the policy last composed.
type agentOverlay struct {
	list []application.AgentException
	memo atomic.Pointer[composedPolicy]
}

type composedPolicy struct {
	groupETag   string
	generatedAt time.Time
	until       time.Time // the earliest expiry among those applied; zero: none
	cp          application.CompiledPolicy
}

// NewExceptionOverlay returns the overlay on source, invalidated through bus.
func NewExceptionOverlay(source ExceptionSource, bus *Bus) *ExceptionOverlay {
	o := &ExceptionOverlay{source: source, bus: bus, now: clock.Now}
	o.cache = newLocalCache(bus, ExceptionTTL, func(struct{}) uint16 { return 0 }, o.load)
	bus.Handle(topicExceptions, func(string) { o.cache.dropAll() })
	return o
}

func (o *ExceptionOverlay) load(ctx context.Context, _ struct{}) (*exceptionSnapshot, error) {
	list, err := o.source.Live(ctx, o.now())
	if err != nil {
		return nil, err
	}
	return snapshotOf(list), nil
}

func snapshotOf(list []application.AgentException) *exceptionSnapshot {
	s := &exceptionSnapshot{byAgent: map[domain.ID]*agentOverlay{}}
	for _, e := range list {
		a := s.byAgent[e.AgentID]
		if a == nil {
			a = &agentOverlay{}
			s.byAgent[e.AgentID] = a
		}
		a.list = append(a.list, e)
	}
	return s
}

// Apply answers the agent's effective policy.
func (o *ExceptionOverlay) Apply(ctx context.Context, agentID domain.ID, cp application.CompiledPolicy) (application.CompiledPolicy, error) {
	now := o.now()
	if !o.bus.Connected() {
		list, err := o.source.ForAgent(ctx, agentID, now)
		if err != nil || len(list) == 0 {
			return cp, err
		}
		return compose(nil, &agentOverlay{list: list}, cp, now), nil
	}
	snap, err := o.cache.fetch(ctx, struct{}{}, now)
	if err != nil {
		return application.CompiledPolicy{}, err
	}
	a := snap.byAgent[agentID]
	if a == nil {
		return cp, nil
	}
	if m := a.memo.Load(); m != nil && m.groupETag == cp.Policy.ETag && m.generatedAt.Equal(cp.GeneratedAt) &&
		(m.until.IsZero() || now.Before(m.until)) {
		return m.cp, nil
	}
	return compose(snap, a, cp, now), nil
}

// compose applies a's exceptions unexpired at now and remembers the
// result, the copy of snap (when given) that has the same ETag.
func compose(snap *exceptionSnapshot, a *agentOverlay, cp application.CompiledPolicy, now time.Time) application.CompiledPolicy {
	m := &composedPolicy{groupETag: cp.Policy.ETag, generatedAt: cp.GeneratedAt}
	var active []policy.Exception
	for _, e := range a.list {
		if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
			continue
		}
		if !e.ExpiresAt.IsZero() && (m.until.IsZero() || e.ExpiresAt.Before(m.until)) {
			m.until = e.ExpiresAt
		}
		active = append(active, policy.Exception{ExtensionID: e.ExtensionID, Version: e.Version})
	}
	m.cp = application.CompiledPolicy{Policy: cp.Policy.WithExceptions(active), GeneratedAt: cp.GeneratedAt}
	if snap != nil && m.cp.Policy.ETag != cp.Policy.ETag {
		got, loaded := snap.shared.LoadOrStore(m.cp.Policy.ETag, m.cp)
		switch {
		case !loaded:
		case got.(application.CompiledPolicy).GeneratedAt.Equal(cp.GeneratedAt):
			m.cp = got.(application.CompiledPolicy)
		default: // the group recompiled to the same content: share the newer
			snap.shared.Store(m.cp.Policy.ETag, m.cp)
		}
	}
	a.memo.Store(m)
	return m.cp
}

// ExceptionsChanged drops the snapshot here and on every other instance.
func (o *ExceptionOverlay) ExceptionsChanged(ctx context.Context) {
	o.bus.Publish(ctx, topicExceptions, "*")
}
