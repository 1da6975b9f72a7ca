package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// AgentCacheInvalidator tells API instances that an agent's cached state
// (its enrollment and status) changed. Called after commit; failures are the
// adapter's to log.
type AgentCacheInvalidator interface {
	AgentChanged(ctx context.Context, agentID domain.ID)
}

// FleetReader reads agents, their current inventory and verdict, and report
// history for the admin API.
type FleetReader interface {
	// Agents pages agents ordered by id. Errors: invalid (cursor).
	Agents(ctx context.Context, f AgentFilter, page PageRequest) (Page[agent.Agent], error)
	// Inventory is what the agent has installed now, by editor and id.
	Inventory(ctx context.Context, agentID domain.ID) ([]InventoryItem, error)
	// Verdict is the verdict of the agent's newest report; ok is false
	// before its first report.
	Verdict(ctx context.Context, agentID domain.ID) (v AgentVerdict, ok bool, err error)
	// Reports pages report history, newest first. Errors: invalid (cursor).
	Reports(ctx context.Context, f ReportFilter, page PageRequest) (Page[ReportRecord], error)
}

// AgentFilter narrows an agent list; zero fields do not filter.
type AgentFilter struct {
	GroupID  domain.ID
	Status   agent.Status
	Platform string
	// Search finds agents whose display name contains it (any case) or
	// whose machine id is it; "" finds all.
	Search string
}

// InventoryItem is one installed extension of one agent, now.
type InventoryItem struct {
	Editor      string
	ExtensionID string
	Version     string
	SHA256      string
	ReportedAt  time.Time
}

// AgentVerdict is the stored verdict of an agent's newest report.
type AgentVerdict struct {
	ReportedAt   time.Time
	PolicyETag   string
	Compliant    bool
	Violations   []VerdictViolation
	NativePolicy *InstalledNativePolicy // nil when that report said nothing of it
}

// InstalledNativePolicy is the editor policy installed on the agent's machine, as its newest
// report described it (report.NativePolicy).
type InstalledNativePolicy struct {
	Present                 bool
	Source                  string
	SHA256                  string
	AllowedExtensionsSHA256 string
	Error                   string
}

// VerdictViolation is one violation in a stored verdict.
type VerdictViolation struct {
	ExtensionID string   `json:"extension_id"`
	Kind        string   `json:"kind"`
	Detail      string   `json:"detail,omitempty"`
	Editors     []string `json:"editors,omitempty"`
}

// AgentLiveness applies the stale/offline thresholds to every agent at once.
type AgentLiveness interface {
	// MarkSilentAgents moves each agent silent beyond its group's
	// stale_after_s to stale and beyond offline_after_s to offline, as of now,
	// in set-based statements. Each transition writes one audit row
	// (agent.status_changed) and its outbox rows in the caller's transaction.
	// Errors: internal.
	MarkSilentAgents(ctx context.Context, now time.Time) (StaleScanResult, error)
}

// StaleScanResult counts the transitions one scan made.
type StaleScanResult struct {
	Stale   int // active → stale
	Offline int // active or stale → offline
}

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
	// Update changes the locked agent (the Update contract atop ports.go) and
	// stores what UpdateEnrollment stores. Errors: not_found.
	Update(ctx context.Context, id domain.ID, change func(current agent.Agent) (agent.Agent, error)) (agent.Agent, error)
}

// AgentLookup reads agents on the hot path (heartbeat, policy, report):
// the adapter serves them from an in-process cache emptied through
// AgentCacheInvalidator on every instance, and from PostgreSQL while the
// invalidation channel is down. The agent it answers is sure to carry
// only what the agent API reads, its id, group, status, machine id and
// user hash: the cache leaves the rest (display name, platform, version,
// times) zero, so that a whole fleet's entries stay small, and callers
// must not read it. Errors: not_found, unavailable.
type AgentLookup interface {
	Get(ctx context.Context, id domain.ID) (agent.Agent, error)
}

// RateLimiter counts requests per subject in fixed windows shared by every
// instance. Allow counts one request; when the subject is over limit it
// returns false and how long until the window ends. When the shared store
// is down it allows (fails open) and the adapter logs and counts that.
type RateLimiter interface {
	Allow(ctx context.Context, subject RateSubject, limit int, window time.Duration) (ok bool, retryAfter time.Duration)
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
	// ApplyHeartbeats writes the updates: last_heartbeat, last_sync and
	// agent_version move forward only, and a stale or offline agent with a
	// heartbeat becomes active (a decommissioned one stays so). It writes in
	// batches of a bounded size, each in its own transaction (ctx's, when it
	// carries one), and calls revived inside the batch's transaction with
	// the agents that batch revived, when there are any. A failed batch
	// leaves the ones before it written. Errors: unavailable, internal, or
	// revived's.
	ApplyHeartbeats(ctx context.Context, updates []HeartbeatUpdate, revived func(context.Context, []RevivedAgent) error) error
}
