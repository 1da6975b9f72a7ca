// Package agent holds the agents enrolled on developer machines and the
// liveness rules (active, stale, offline) their heartbeats drive.
package agent

import (
	"regexp"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// Status is an agent's liveness as the server sees it.
type Status string

const (
	StatusActive         Status = "active"
	StatusStale          Status = "stale"   // missed heartbeats beyond stale_after_s
	StatusOffline        Status = "offline" // silent beyond offline_after_s
	StatusDecommissioned Status = "decommissioned"
)

// ParseStatus accepts the four statuses (for list filters).
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusActive, StatusStale, StatusOffline, StatusDecommissioned:
		return st, nil
	}
	return "", domain.Invalid("invalid status", domain.FieldError{Field: "status",
		Message: "must be active, stale, offline or decommissioned"})
}

// KnownPlatforms are the VS Code target platforms agents report. Others of
// the same shape are accepted so that new editor targets need no server release.
var KnownPlatforms = []string{"linux-x64", "linux-arm64", "linux-armhf", "alpine-x64", "alpine-arm64",
	"darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64", "web"}

var platformPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)?$`)

const (
	MaxMachineIDLength   = 128
	MaxDisplayNameLength = 255
	MaxPlatformLength    = 32
)

// Agent is one enrolled machine in one group.
type Agent struct {
	id            domain.ID
	groupID       domain.ID
	machineID     string
	userHash      string
	displayName   string
	platform      string
	agentVersion  string
	lastHeartbeat time.Time
	lastSync      time.Time
	status        Status
	createdAt     time.Time
	updatedAt     time.Time
}

// EnrollParams is an enrollment request. ID zero gets a fresh one; Now is
// the enrollment time, from the caller's clock.
type EnrollParams struct {
	ID           domain.ID
	GroupID      domain.ID
	MachineID    string
	UserHash     string // SHA-256 hex of the OS user: the server never sees the name
	DisplayName  string
	Platform     string
	AgentVersion string
	Now          time.Time
}

// NewAgent validates an enrollment. Enrolling counts as contact, so the
// agent starts active with its first heartbeat.
func NewAgent(p EnrollParams) (Agent, error) {
	var fe domain.FieldErrors
	a := Agent{id: p.ID, groupID: p.GroupID}
	if p.GroupID.IsZero() {
		fe.Add("group_id", "is required")
	}
	a.applyEnrollFields(&fe, p)
	if err := fe.Err("invalid enrollment"); err != nil {
		return Agent{}, err
	}
	if a.id.IsZero() {
		a.id = domain.NewID()
	}
	now := p.Now.UTC()
	a.status, a.lastHeartbeat, a.createdAt, a.updatedAt = StatusActive, now, now, now
	return a, nil
}

func (a *Agent) applyEnrollFields(fe *domain.FieldErrors, p EnrollParams) {
	a.machineID = strings.TrimSpace(p.MachineID)
	if a.machineID == "" || len(a.machineID) > MaxMachineIDLength {
		fe.Add("machine_id", "must be 1 to 128 bytes")
	}
	fe.CheckText("machine_id", a.machineID)
	if h, ok := domain.NormalizeSHA256(strings.TrimSpace(p.UserHash)); ok {
		a.userHash = h
	} else {
		fe.Add("user_hash", "must be a SHA-256 digest: 64 hex characters")
	}
	a.displayName = fe.Text("display_name", p.DisplayName, 0, MaxDisplayNameLength)
	a.platform = strings.ToLower(strings.TrimSpace(p.Platform))
	if len(a.platform) > MaxPlatformLength || !platformPattern.MatchString(a.platform) {
		fe.Add("platform", "must be a platform like linux-x64, darwin-arm64 or win32-x64")
	}
	a.agentVersion = strings.TrimSpace(p.AgentVersion)
	if !validAgentVersion(a.agentVersion) {
		fe.Add("agent_version", agentVersionRule)
	}
}

// MaxAgentVersionLength is the agents.agent_version column's width.
const MaxAgentVersionLength = 64

const agentVersionRule = "must be 1 to 64 printable characters"

// validAgentVersion accepts whatever a build stamped (1.2.0, 0.0.0-dev+abc1234,
// dev): the version is shown to people, never compared, so its shape is not
// policy, and refusing it would lock out every agent built from a checkout.
// Only what a column and a log line cannot hold is refused.
func validAgentVersion(v string) bool {
	return v != "" && domain.RuneLen(v) <= MaxAgentVersionLength && domain.IsPrintable(v)
}

// Record carries an agents row for RehydrateAgent.
type Record struct {
	ID            domain.ID
	GroupID       domain.ID
	MachineID     string
	UserHash      string
	DisplayName   string
	Platform      string
	AgentVersion  string
	LastHeartbeat time.Time
	LastSync      time.Time
	Status        Status
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RehydrateAgent rebuilds a stored agent without validation.
func RehydrateAgent(r Record) Agent {
	return Agent{id: r.ID, groupID: r.GroupID, machineID: r.MachineID, userHash: r.UserHash,
		displayName: r.DisplayName, platform: r.Platform, agentVersion: r.AgentVersion,
		lastHeartbeat: r.LastHeartbeat, lastSync: r.LastSync, status: r.Status,
		createdAt: r.CreatedAt, updatedAt: r.UpdatedAt}
}

// Reenroll updates an existing (group, machine_id) enrollment in place, so
// the machine keeps its agent id and history. A decommissioned machine comes
// back active; wasDecommissioned tells the caller to audit that.
func (a Agent) Reenroll(p EnrollParams, now time.Time) (updated Agent, wasDecommissioned bool, err error) {
	var fe domain.FieldErrors
	next := a
	next.applyEnrollFields(&fe, p)
	if next.machineID != a.machineID {
		fe.Add("machine_id", "must match the enrolled machine")
	}
	if err := fe.Err("invalid enrollment"); err != nil {
		return Agent{}, false, err
	}
	now = now.UTC()
	wasDecommissioned = a.status == StatusDecommissioned
	next.status, next.lastHeartbeat, next.updatedAt = StatusActive, now, now
	return next, wasDecommissioned, nil
}

// RecordHeartbeat notes contact at now and makes a stale or offline agent
// active again. A decommissioned agent is refused (403): it must re-enroll.
func (a Agent) RecordHeartbeat(now time.Time) (Agent, error) {
	if a.status == StatusDecommissioned {
		return Agent{}, domain.Forbidden("agent is decommissioned; enroll again")
	}
	now = now.UTC()
	if now.After(a.lastHeartbeat) {
		a.lastHeartbeat = now
	}
	a.status, a.updatedAt = StatusActive, now
	return a, nil
}

// WithAgentVersion records the version a heartbeat announced.
func (a Agent) WithAgentVersion(version string) (Agent, error) {
	version = strings.TrimSpace(version)
	if !validAgentVersion(version) {
		return Agent{}, domain.Invalid("invalid agent version", domain.FieldError{Field: "agent_version",
			Message: agentVersionRule})
	}
	a.agentVersion = version
	return a, nil
}

// RecordSync notes that the agent fetched its policy at now.
func (a Agent) RecordSync(now time.Time) Agent {
	a.lastSync = now.UTC()
	return a
}

// Decommission retires the agent: its requests are refused until the
// machine enrolls again.
func (a Agent) Decommission(now time.Time) Agent {
	a.status, a.updatedAt = StatusDecommissioned, now.UTC()
	return a
}

// StatusAt is the status the group's thresholds imply at now, from the last
// heartbeat. Decommissioning is a decision, not a timeout, so it sticks.
func (a Agent) StatusAt(now time.Time, s group.Settings) Status {
	if a.status == StatusDecommissioned {
		return StatusDecommissioned
	}
	silent := now.Sub(a.lastHeartbeat)
	switch {
	case silent > time.Duration(s.OfflineAfterS())*time.Second:
		return StatusOffline
	case silent > time.Duration(s.StaleAfterS())*time.Second:
		return StatusStale
	}
	return StatusActive
}

// RefreshStatus applies StatusAt; changed tells the stale scanner whether
// there is a transition to store and audit.
func (a Agent) RefreshStatus(now time.Time, s group.Settings) (updated Agent, changed bool) {
	st := a.StatusAt(now, s)
	if st == a.status {
		return a, false
	}
	a.status, a.updatedAt = st, now.UTC()
	return a, true
}

func (a Agent) ID() domain.ID            { return a.id }
func (a Agent) GroupID() domain.ID       { return a.groupID }
func (a Agent) MachineID() string        { return a.machineID }
func (a Agent) UserHash() string         { return a.userHash }
func (a Agent) DisplayName() string      { return a.displayName }
func (a Agent) Platform() string         { return a.platform }
func (a Agent) AgentVersion() string     { return a.agentVersion }
func (a Agent) LastHeartbeat() time.Time { return a.lastHeartbeat }
func (a Agent) LastSync() time.Time      { return a.lastSync }
func (a Agent) Status() Status           { return a.status }
func (a Agent) CreatedAt() time.Time     { return a.createdAt }
func (a Agent) UpdatedAt() time.Time     { return a.updatedAt }
func (a Agent) IsDecommissioned() bool   { return a.status == StatusDecommissioned }
