package application_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
)

// limiterDenying is the RateLimiter: it refuses the subjects of one kind.
type limiterDenying struct{ kind string }

func (l limiterDenying) Allow(_ context.Context, s application.RateSubject, _ int, _ time.Duration) (bool, time.Duration) {
	return s.Kind != l.kind, 0
}

type authorizeEnv struct {
	key    apikey.Key
	agents *agentsInMemory
	events *eventsInMemory
	gate   *application.AuthorizeAgentRequest
}

// newAuthorizeEnv gates requests presenting key, limited by limiter.
func newAuthorizeEnv(key apikey.Key, limiter application.RateLimiter) authorizeEnv {
	e := authorizeEnv{key: key, agents: newAgents(), events: &eventsInMemory{}}
	auth := application.NewAuthenticateAPIKey(oneKey{key}, noUsage{}, runInline{}, e.events, fixedClock{}, nil)
	e.gate = application.NewAuthorizeAgentRequest(auth, e.agents, limiter, application.DefaultAgentRateLimits(),
		runInline{}, e.events, fixedClock{}, nil)
	return e
}

func presentedSecret(t *testing.T) string {
	t.Helper()
	s, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s.String()
}

// The key's scope comes before its rate limit: a read key is forbidden, an
// agent key over its limit is rate_limited with a retry time of at least a
// second.
func TestAuthorizeAgentRequestKeyScopeThenLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	read := newAuthorizeEnv(newKey(t, domain.NewID(), "read"), limiterDenying{"key"})
	if _, err := read.gate.Key(ctx, presentedSecret(t)); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("read key: %v, want forbidden", err)
	}
	busy := newAuthorizeEnv(newKey(t, domain.NewID(), "agent"), limiterDenying{"key"})
	_, err := busy.gate.Key(ctx, presentedSecret(t))
	var limited *application.RateLimitedError
	if !errors.As(err, &limited) || limited.RetryAfter < time.Second {
		t.Fatalf("key over its limit: %v, want rate_limited with Retry-After ≥ 1s", err)
	}
	ok := newAuthorizeEnv(newKey(t, domain.NewID(), "agent"), limiterDenying{})
	if _, err := ok.gate.Key(ctx, presentedSecret(t)); err != nil {
		t.Fatalf("agent key within its limit: %v", err)
	}
}

// An unknown agent and another group's agent read the same, so a key
// learns nothing about other groups; a decommissioned agent is refused and
// its knocking audited once per interval; a missing or malformed
// X-Agent-ID is invalid, named.
func TestAuthorizeAgentRequestAgentBelongsToTheKeysGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := newKey(t, domain.NewID(), "agent")
	env := newAuthorizeEnv(key, limiterDenying{})
	mine, theirs, retired := newAgent(t, key.GroupID()), newAgent(t, domain.NewID()), newAgent(t, key.GroupID())
	retired = retired.Decommission(fixedClock{}.Now())
	env.agents.rows[mine.ID()], env.agents.rows[theirs.ID()], env.agents.rows[retired.ID()] = mine, theirs, retired

	if got, err := env.gate.Agent(ctx, key, mine.ID().String()); err != nil || got.ID() != mine.ID() {
		t.Fatalf("own agent: %v", err)
	}
	_, unknown := env.gate.Agent(ctx, key, domain.NewID().String())
	_, other := env.gate.Agent(ctx, key, theirs.ID().String())
	if domain.CodeOf(unknown) != domain.CodeForbidden || unknown.Error() != other.Error() {
		t.Fatalf("unknown agent %v, other group's agent %v; want the same forbidden", unknown, other)
	}
	for range 2 {
		if _, err := env.gate.Agent(ctx, key, retired.ID().String()); domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("decommissioned agent: %v, want forbidden", err)
		}
	}
	if n := len(env.events.ofType(audit.AgentRefused)); n != 1 {
		t.Fatalf("%d agent.refused rows after two knocks, want 1", n)
	}
	for _, raw := range []string{"", "not-an-id"} {
		if _, err := env.gate.Agent(ctx, key, raw); domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "X-Agent-ID") {
			t.Fatalf("X-Agent-ID %q: %v, want invalid naming X-Agent-ID", raw, err)
		}
	}
	limited := newAuthorizeEnv(key, limiterDenying{"agent"})
	limited.agents.rows[mine.ID()] = mine
	if _, err := limited.gate.Agent(ctx, key, mine.ID().String()); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("agent over its limit: %v, want rate_limited", err)
	}
}
