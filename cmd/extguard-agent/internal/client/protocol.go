// Package client speaks agent protocol v1 (shared/docs/agent-protocol.md) to an extguard server.
// The wire types mirror the contract field for field: agents stay in the field for years, so the
// names here are the protocol's and nothing else.
package client

import "time"

// EnrollRequest identifies this machine and user to the server.
type EnrollRequest struct {
	MachineID    string `json:"machine_id"`
	UserHash     string `json:"user_hash"`
	DisplayName  string `json:"display_name"`
	Platform     string `json:"platform"`
	AgentVersion string `json:"agent_version"`
}

// Enrollment is the server's answer to an enrollment.
type Enrollment struct {
	AgentID            string `json:"agent_id"`
	GroupID            string `json:"group_id"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
	PolicyETag         string `json:"policy_etag"`
}

// HeartbeatRequest is the optional heartbeat body.
type HeartbeatRequest struct {
	AgentVersion string `json:"agent_version,omitempty"`
}

// HeartbeatAnswer tells the agent which policy is current and when to call again.
type HeartbeatAnswer struct {
	PolicyETag         string `json:"policy_etag"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
}

// Policy is the group's compiled policy.
type Policy struct {
	ETag        string              `json:"etag"`
	GroupID     string              `json:"group_id"`
	Mode        string              `json:"mode"`
	Enforcement string              `json:"enforcement"`
	Required    []RequiredExtension `json:"required"`
	Allowed     []AllowedExtension  `json:"allowed"`
	Blocked     []BlockedPattern    `json:"blocked"`
	GeneratedAt time.Time           `json:"generated_at"`
}

// EnforcementEnforce is the policy enforcement under which the agent acts on the server's actions.
const EnforcementEnforce = "enforce"

// RequiredExtension must be installed. Version is "" where none is pinned (null on the wire).
type RequiredExtension struct {
	ExtensionID   string `json:"extension_id"`
	Version       string `json:"version"`
	SHA256        string `json:"sha256"`
	ContentSHA256 string `json:"content_sha256"`
	DownloadURL   string `json:"download_url"`
}

// AllowedExtension may be installed. Version is "" where none is pinned.
type AllowedExtension struct {
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version"`
}

// BlockedPattern names extensions that must not be installed.
type BlockedPattern struct {
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
}

// Report is the machine's full inventory at ReportedAt.
type Report struct {
	ReportedAt time.Time           `json:"reported_at"`
	PolicyETag string              `json:"policy_etag"`
	Extensions []ReportedExtension `json:"extensions"`
}

// ReportedExtension is one row of a report. Installed false records an extension the agent
// removed (or failed to keep) since its last report.
type ReportedExtension struct {
	ExtensionID string `json:"extension_id"`
	Installed   bool   `json:"installed"`
	Version     string `json:"version,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	Editor      string `json:"editor"`
}

// Verdict is the server's evaluation of a report.
type Verdict struct {
	Compliant  bool        `json:"compliant"`
	Violations []Violation `json:"violations"`
	Actions    []Action    `json:"actions"`
}

// Violation is one way the inventory breaks the policy.
type Violation struct {
	ExtensionID string `json:"extension_id"`
	Kind        string `json:"kind"`
	Detail      string `json:"detail"`
}

// Action kinds the server may ask for.
const (
	ActionUninstall = "uninstall"
	ActionInstall   = "install"
)

// Action is something the server asks an enforcing agent to do.
type Action struct {
	Action      string `json:"action"`
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version,omitempty"`
	DownloadURL string `json:"download_url,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
}
