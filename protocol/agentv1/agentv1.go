package agentv1

import "time"

// The endpoints and the header that names the enrolled agent.
const (
	PathPrefix    = "/api/v1/agent/"
	PathEnroll    = PathPrefix + "enroll"
	PathHeartbeat = PathPrefix + "heartbeat"
	PathPolicy    = PathPrefix + "policy"
	PathReports   = PathPrefix + "reports"

	HeaderAgentID = "X-Agent-ID"
)

// EnrollRequest identifies the machine and its user to the server.
type EnrollRequest struct {
	MachineID    string `json:"machine_id"`
	UserHash     string `json:"user_hash"` // SHA-256 hex of the OS user: the server never sees the name
	DisplayName  string `json:"display_name"`
	Platform     string `json:"platform"` // linux-x64, darwin-arm64, win32-x64, ...
	AgentVersion string `json:"agent_version"`
}

// Enrollment is the answer to an enrollment.
type Enrollment struct {
	AgentID            string `json:"agent_id"`
	GroupID            string `json:"group_id"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
	PolicyETag         string `json:"policy_etag"`
}

// HeartbeatRequest is the optional heartbeat body; an empty AgentVersion
// keeps the one the server holds.
type HeartbeatRequest struct {
	AgentVersion string `json:"agent_version,omitempty"`
}

// HeartbeatAnswer names the current policy and when to call again.
type HeartbeatAnswer struct {
	PolicyETag         string `json:"policy_etag"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
}

// Modes and enforcements of a policy.
const (
	ModeAllowlist      = "allowlist" // only the allowed and required extensions may be installed
	ModeBlocklist      = "blocklist" // everything but the blocked extensions may be installed
	EnforcementAudit   = "audit"     // report only: verdicts carry no actions
	EnforcementEnforce = "enforce"   // the agent carries out the verdict's actions
)

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

// RequiredExtension must be installed. Each pointer is null on the wire
// where nothing is pinned.
type RequiredExtension struct {
	ExtensionID   string  `json:"extension_id"`
	Version       *string `json:"version"`
	SHA256        *string `json:"sha256"`         // of the VSIX package
	ContentSHA256 *string `json:"content_sha256"` // of the installed folder (see adapters/contentdigest)
	DownloadURL   *string `json:"download_url"`
}

// AllowedExtension may be installed; null fields are not pinned.
type AllowedExtension struct {
	ExtensionID   string  `json:"extension_id"`
	Version       *string `json:"version"`
	ContentSHA256 *string `json:"content_sha256"`
}

// Pattern types of a blocked pattern.
const (
	PatternExact     = "exact"     // one extension id
	PatternPublisher = "publisher" // every extension of a publisher
	PatternGlob      = "glob"
	PatternRegex     = "regex"
)

// BlockedPattern names extensions that must not be installed.
type BlockedPattern struct {
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
}

// Report is the machine's full inventory at ReportedAt.
type Report struct {
	ReportedAt time.Time           `json:"reported_at"`
	PolicyETag string              `json:"policy_etag"` // the policy the agent held
	Extensions []ReportedExtension `json:"extensions"`
	// NativePolicy is the editor policy installed on the machine; absent from agents older than
	// 2026-12 (and the server then keeps nothing), never an error when missing.
	NativePolicy *InstalledNativePolicy `json:"native_policy,omitempty"`
}

// InstalledNativePolicy is what the agent found of the editors' own policy (VS Code's
// AllowedExtensions, delivered by MDM, Group Policy or /etc/vscode/policy.json) on its machine.
// Present is false when nothing is installed; Error says why the agent could not tell (then the
// digests are empty). SHA256 is of the installed file's bytes (the registry value's UTF-8 text on
// Windows); AllowedExtensionsSHA256 is of the AllowedExtensions value's text alone, the same in every
// format, so it can be compared with the group's export (GET /api/v1/groups/{id}/policy/vscode).
type InstalledNativePolicy struct {
	Present                 bool   `json:"present"`
	Source                  string `json:"source"` // the file or registry key looked at
	SHA256                  string `json:"sha256,omitempty"`
	AllowedExtensionsSHA256 string `json:"allowed_extensions_sha256,omitempty"`
	Error                   string `json:"error,omitempty"`
}

// ReportedExtension is one extension in one editor. Installed false records
// an extension the agent removed (or failed to keep) since its last report.
type ReportedExtension struct {
	ExtensionID string `json:"extension_id"`
	Installed   bool   `json:"installed"`
	Version     string `json:"version,omitempty"`
	SHA256      string `json:"sha256,omitempty"` // content digest of the installed folder
	Editor      string `json:"editor"`           // vscode, vscode-insiders, vscodium, cursor, windsurf, code-server, vscode-server, unknown; since 2026-12 also devin, trae, positron, kiro, antigravity, vscodium-server, cursor-server, windsurf-server, trae-server, kiro-server
}

// Verdict is the server's judgement of a report.
type Verdict struct {
	Compliant  bool        `json:"compliant"`
	Violations []Violation `json:"violations"`
	Actions    []Action    `json:"actions"`
}

// Kinds of violation.
const (
	KindBlocked          = "blocked"
	KindRequiredMissing  = "required_missing"
	KindVersionMismatch  = "version_mismatch"
	KindChecksumMismatch = "checksum_mismatch"
	KindUnapproved       = "unapproved"
	// KindAdvisory: an alert-mode threat feed names the extension; reported,
	// never acted on (no action follows from it).
	KindAdvisory = "advisory"
)

// Violation is one way the inventory breaks the policy.
type Violation struct {
	ExtensionID string   `json:"extension_id"`
	Kind        string   `json:"kind"`
	Detail      string   `json:"detail"`
	Editors     []string `json:"editors,omitempty"`
}

// Action kinds.
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
	SHA256      string `json:"sha256,omitempty"` // of the VSIX package to install
}

// Problem is an error answer (RFC 9457, application/problem+json).
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError is one invalid field of a validation problem.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
