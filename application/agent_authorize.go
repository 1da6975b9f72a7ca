package application

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
)

// AgentRateLimits are the per-key and per-agent request limits of the agent
// API, per Window. A group key is shared by every agent of the group, so its
// limit is sized for a fleet; an agent talks a few times per heartbeat
// interval, so its own limit is small.
type AgentRateLimits struct {
	PerKey   int
	PerAgent int
	Window   time.Duration
}

// DefaultAgentRateLimits suit fleets up to a few hundred thousand agents per key.
func DefaultAgentRateLimits() AgentRateLimits {
	return AgentRateLimits{PerKey: 600_000, PerAgent: 60, Window: time.Minute}
}

// RateLimitedError is a rate_limited domain error that says when to retry
// (HTTP sends it as Retry-After).
type RateLimitedError struct {
	Err        *domain.Error
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string { return e.Err.Error() }
func (e *RateLimitedError) Unwrap() error { return e.Err }

func rateLimited(msg string, after time.Duration) error {
	if after < time.Second {
		after = time.Second
	}
	return &RateLimitedError{Err: domain.RateLimited(msg), RetryAfter: after}
}

// AuthorizeAgentRequest is the gate of every agent request, in the
// contract's order: the key (401), its scope (403), the key's rate limit
// (429); then, after enrollment, the agent: in the key's group and not
// decommissioned (403), and its own rate limit (429). On the hot path it
// reads only in-process caches.
type AuthorizeAgentRequest struct {
	auth     *AuthenticateAPIKey
	agents   AgentLookup
	limiter  RateLimiter
	limits   AgentRateLimits
	tx       Transactor
	audit    AuditLog
	clock    Clock
	log      *slog.Logger
	throttle *Throttle
}

// NewAuthorizeAgentRequest wires the gate.
func NewAuthorizeAgentRequest(auth *AuthenticateAPIKey, agents AgentLookup, limiter RateLimiter, limits AgentRateLimits,
	tx Transactor, log AuditLog, clock Clock, logger *slog.Logger) *AuthorizeAgentRequest {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AuthorizeAgentRequest{auth: auth, agents: agents, limiter: limiter, limits: limits, tx: tx, audit: log,
		clock: clock, log: logger, throttle: NewThrottle(AnomalyInterval)}
}

var (
	errNoAgentScope   = domain.Forbidden("API key lacks the agent scope")
	errNotInKeysGroup = domain.Forbidden("agent is not enrolled in the API key's group")
)

// Key authenticates an agent key. Errors: unauthorized, forbidden,
// rate_limited (*RateLimitedError), unavailable.
func (uc *AuthorizeAgentRequest) Key(ctx context.Context, presented string) (apikey.Key, error) {
	k, err := uc.auth.Execute(ctx, presented)
	if err != nil {
		return apikey.Key{}, err
	}
	if !k.HasScope(apikey.ScopeAgent) || k.GroupID().IsZero() {
		return apikey.Key{}, errNoAgentScope
	}
	if ok, after := uc.limiter.Allow(ctx, RateSubject{Kind: "key", ID: k.ID()}, uc.limits.PerKey, uc.limits.Window); !ok {
		return apikey.Key{}, rateLimited("too many requests with this API key", after)
	}
	return k, nil
}

// Agent checks the agent named by the X-Agent-ID header against the key.
// An unknown agent and an agent of another group read the same (403), so
// a key learns nothing about other groups. Errors: invalid (missing or
// malformed id), forbidden, rate_limited, unavailable.
func (uc *AuthorizeAgentRequest) Agent(ctx context.Context, k apikey.Key, rawAgentID string) (agent.Agent, error) {
	rawAgentID = strings.TrimSpace(rawAgentID)
	if rawAgentID == "" {
		return agent.Agent{}, domain.Invalid("X-Agent-ID header is required",
			domain.FieldError{Field: "X-Agent-ID", Message: "is required after enrollment"})
	}
	id, err := domain.ParseID(rawAgentID)
	if err != nil {
		return agent.Agent{}, domain.Invalid("malformed X-Agent-ID header",
			domain.FieldError{Field: "X-Agent-ID", Message: "must be the agent_id enrollment returned"})
	}
	a, err := uc.agents.Get(ctx, id)
	switch {
	case domain.CodeOf(err) == domain.CodeNotFound:
		return agent.Agent{}, errNotInKeysGroup
	case err != nil:
		return agent.Agent{}, err
	case a.GroupID() != k.GroupID():
		return agent.Agent{}, errNotInKeysGroup
	case a.IsDecommissioned():
		if err := uc.auditRefusal(ctx, k, a); err != nil {
			return agent.Agent{}, err
		}
		return agent.Agent{}, domain.Forbidden("agent is decommissioned; enroll again")
	}
	if ok, after := uc.limiter.Allow(ctx, RateSubject{Kind: "agent", ID: a.ID()}, uc.limits.PerAgent, uc.limits.Window); !ok {
		return agent.Agent{}, rateLimited("too many requests from this agent", after)
	}
	return a, nil
}

// auditRefusal records a decommissioned agent knocking, once per agent per
// AnomalyInterval per instance. Its error fails the request closed, as
// AuthenticateAPIKey's rejections do.
func (uc *AuthorizeAgentRequest) auditRefusal(ctx context.Context, k apikey.Key, a agent.Agent) error {
	now, subject := uc.clock.Now(), a.ID().String()
	if !uc.throttle.Allow(subject, now) {
		return nil
	}
	o := OriginFrom(ctx)
	ev, err := audit.NewEvent(audit.EventParams{Type: audit.AgentRefused,
		Actor:   audit.Actor{Type: audit.ActorAgent, ID: a.ID(), ClientIP: o.ClientIP, UserAgent: o.UserAgent},
		GroupID: a.GroupID(), TargetType: audit.TargetAgent, TargetID: a.ID(), CreatedAt: now,
		Details: map[string]any{"reason": "decommissioned", "machine_id": a.MachineID(), "key_prefix": k.KeyPrefix(),
			"repeats_suppressed_for": AnomalyInterval.String()}})
	if err == nil {
		err = appendAnomaly(ctx, uc.throttle, subject, uc.tx, uc.audit, ev)
	}
	if err != nil {
		uc.log.WarnContext(ctx, "audit of a refused agent failed; refusing the request as unavailable",
			"agent_id", subject, "error", err.Error())
	}
	return err
}
