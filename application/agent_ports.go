package application

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// AgentRepository stores enrolled agents.
type AgentRepository interface {
	// Get reads one agent. Errors: not_found (also for deleted agents).
	Get(ctx context.Context, id domain.ID) (agent.Agent, error)
	// FindByMachineForUpdate reads the group's enrollment of machineID and,
	// inside a transaction, locks it until commit. Errors: not_found.
	FindByMachineForUpdate(ctx context.Context, groupID domain.ID, machineID string) (agent.Agent, error)
	// Insert stores a new agent. Errors: conflict when the (group,
	// machine_id) pair is enrolled already (a concurrent enrollment won).
	Insert(ctx context.Context, a agent.Agent) error
	// UpdateEnrollment stores a re-enrollment: the enrollment fields,
	// status, last_heartbeat and updated_at. Errors: not_found.
	UpdateEnrollment(ctx context.Context, a agent.Agent) error
	// Update changes the locked agent (the Update contract atop ports_admin.go) and
	// stores what UpdateEnrollment stores. Errors: not_found.
	Update(ctx context.Context, id domain.ID, change func(current agent.Agent) (agent.Agent, error)) (agent.Agent, error)
}

// AgentLookup reads agents on the hot path (heartbeat, policy, report):
// the adapter serves them from an in-process cache emptied through
// AgentCacheInvalidator on every instance, and from PostgreSQL while the
// invalidation channel is down. Errors: not_found, unavailable.
type AgentLookup interface {
	Get(ctx context.Context, id domain.ID) (agent.Agent, error)
}

// AgentCacheInvalidator (ports_admin.go) empties AgentLookup's caches on
// every instance; the admin API calls it after decommissioning.

// CompiledPolicy is a group's compiled policy and when it was compiled.
type CompiledPolicy struct {
	Policy      policy.Policy
	GeneratedAt time.Time
}

// CompiledPolicies serves groups' compiled policies from an in-process
// cache (compiled from PolicyInputs on a miss, one compilation per group at
// a time), emptied through PolicyInvalidator on every instance.
// Errors: not_found for an unknown or deleted group, unavailable.
type CompiledPolicies interface {
	Get(ctx context.Context, groupID domain.ID) (CompiledPolicy, error)
}

// RateLimiter counts requests per subject in fixed windows shared by every
// instance. Allow counts one request; when the subject is over limit it
// returns false and how long until the window ends. When the shared store
// is down it allows (fails open) and the adapter logs and counts that.
type RateLimiter interface {
	Allow(ctx context.Context, subject RateSubject, limit int, window time.Duration) (ok bool, retryAfter time.Duration)
}

// LoginLimiter counts failed logins per subject in fixed windows shared by
// every instance: Reached asks whether subject has reached limit (and how
// long until its window ends) without counting, Count counts one failure.
// It does not fail open: while the shared store is down each instance
// limits with its own counts, so an outage never lifts the login limits.
type LoginLimiter interface {
	Reached(ctx context.Context, subject RateSubject, limit int, window time.Duration) (reached bool, retryAfter time.Duration)
	Count(ctx context.Context, subject RateSubject, limit int, window time.Duration)
}

// RateSubject is what a limit counts: a kind and an identity, either an id
// (agents, keys) or a name (a login's account or address). It is a value
// rather than a formatted string because the agent API checks two limits
// on every request and formatting them was a measurable share of a
// heartbeat.
type RateSubject struct {
	Kind string
	ID   domain.ID
	Name string
}

// String is "kind:identity", the subject's name in the shared store.
func (s RateSubject) String() string {
	if s.Name != "" || s.ID.IsZero() {
		return s.Kind + ":" + s.Name
	}
	return s.Kind + ":" + hex.EncodeToString(s.ID[:])
}

// HeartbeatUpdate is one agent's coalesced contact since the last flush. A
// zero time means "nothing of that kind"; AgentVersion "" keeps the stored one.
type HeartbeatUpdate struct {
	AgentID      domain.ID
	Heartbeat    time.Time
	Sync         time.Time
	AgentVersion string
}

// RevivedAgent is an agent a heartbeat brought back to active.
type RevivedAgent struct {
	AgentID domain.ID
	GroupID domain.ID
	From    agent.Status
}

// HeartbeatStore writes coalesced heartbeats and policy syncs.
type HeartbeatStore interface {
	// ApplyHeartbeats writes every update in one statement: last_heartbeat,
	// last_sync and agent_version move forward only, and a stale or offline
	// agent with a heartbeat becomes active (a decommissioned one stays so).
	// It returns the agents it revived. Errors: unavailable, internal.
	ApplyHeartbeats(ctx context.Context, updates []HeartbeatUpdate) ([]RevivedAgent, error)
}

// StoredReport is a validated report with what the server adds to it.
type StoredReport struct {
	AgentID    domain.ID
	GroupID    domain.ID
	UserHash   string
	ClientIP   string // "" when unknown
	Report     report.Report
	Verdict    policy.Verdict
	PolicyETag string // of the policy the verdict was computed against
	ReceivedAt time.Time
}

// ReportStore writes reports in batches.
type ReportStore interface {
	// StoreReports writes a batch in one transaction: every item of every
	// report into the report history (one row per item, time-ordered ids,
	// with a batched statement or COPY, never a statement per row), and for
	// each agent whose report is at least as new as the stored one, its
	// current inventory (replaced by the report's installed items) and its
	// verdict. Older reports are kept in history only. Reports of one agent
	// in one batch are allowed. Errors: unavailable, internal.
	StoreReports(ctx context.Context, batch []StoredReport) error
}
