// Package request holds extension requests (a developer's machine asks for
// an extension its policy does not allow, an editor or admin answers) and
// the agent exceptions an approval for one machine creates.
package request

import (
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// Status is where a request stands. The values are protocol (agentv1) and
// API: add, never rename.
type Status string

const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusDenied   Status = "denied"
	// StatusExpired: an approval whose time ran out (its exception or
	// assignment ended).
	StatusExpired Status = "expired"
)

// Statuses lists every status, for filters.
var Statuses = []Status{StatusPending, StatusApproved, StatusDenied, StatusExpired}

// ParseStatus accepts one of Statuses.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", domain.Invalid("invalid status", domain.FieldError{Field: "status",
		Message: "must be one of pending, approved, denied, expired"})
}

// Scope is what an approval covers: one agent (an exception) or its whole
// group (an assignment).
type Scope string

const (
	ScopeAgent Scope = "agent"
	ScopeGroup Scope = "group"
)

// Limits of the free text.
const (
	MaxReasonLength = 1000
	MaxNoteLength   = 1000
)

// MaxApprovalDuration bounds a time-limited approval: an expiry further
// out is a typo (year 9999, milliseconds read as seconds), not a plan; an
// approval meant to last has no expires_at at all.
const MaxApprovalDuration = 5 * 365 * 24 * time.Hour

// Params is what an agent sends.
type Params struct {
	AgentID     domain.ID
	GroupID     domain.ID
	ExtensionID string
	Version     string
	Reason      string
}

// Request is one extension request. MachineID and UserHash are what the
// agent reported at enrollment, shown to whoever answers, never more.
type Request struct {
	id          domain.ID
	agentID     domain.ID
	groupID     domain.ID
	extensionID extension.ExtensionID
	version     string
	reason      string
	status      Status
	scope       Scope
	expiresAt   time.Time
	answeredBy  domain.ID
	note        string
	createdAt   time.Time
	answeredAt  time.Time
	machineID   string
	userHash    string
}

// New validates an agent's request: the id is checked (unknown extensions
// may be asked for, malformed ids may not), the version too, the reason is
// free text of 1 to MaxReasonLength characters.
func New(p Params, now time.Time) (Request, error) {
	var fe domain.FieldErrors
	id, err := extension.ParseExtensionID(p.ExtensionID)
	fe.AddErr("extension_id", err)
	version := strings.TrimSpace(p.Version)
	if version != "" && !extension.ValidVersion(version) {
		fe.Add("version", "must be a version like 1.2.3 or 1.2.3-beta.1 (at most 64 characters)")
	}
	reason := fe.Text("reason", p.Reason, 1, MaxReasonLength)
	if err := fe.Err("invalid extension request"); err != nil {
		return Request{}, err
	}
	return Request{id: domain.NewID(), agentID: p.AgentID, groupID: p.GroupID, extensionID: id, version: version,
		reason: reason, status: StatusPending, createdAt: now}, nil
}

// Answer is an editor's or admin's decision.
type Answer struct {
	By        domain.ID // the users row; NilID for API keys
	Scope     Scope     // approvals only
	Version   string    // approvals: the version allowed, "" for the request's (or any)
	ExpiresAt time.Time // approvals: zero for no end
	Note      string
}

// Approve answers the request with an approval. Only a pending request can
// be answered (conflict otherwise); expires_at must be in the future and at
// most MaxApprovalDuration ahead.
func (r Request) Approve(a Answer, now time.Time) (Request, error) {
	var fe domain.FieldErrors
	if a.Scope != ScopeAgent && a.Scope != ScopeGroup {
		fe.Add("scope", "must be agent or group")
	}
	version := strings.TrimSpace(a.Version)
	if version != "" && !extension.ValidVersion(version) {
		fe.Add("version", "must be a version like 1.2.3 or 1.2.3-beta.1 (at most 64 characters)")
	}
	if version == "" {
		version = r.version
	}
	switch {
	case a.ExpiresAt.IsZero():
	case !a.ExpiresAt.After(now):
		fe.Add("expires_at", "must be in the future")
	case a.ExpiresAt.After(now.Add(MaxApprovalDuration)):
		fe.Add("expires_at", "must be at most 5 years ahead (omit it for an approval without end)")
	}
	note := fe.Text("note", a.Note, 0, MaxNoteLength)
	if err := fe.Err("invalid approval"); err != nil {
		return Request{}, err
	}
	if err := r.pending(); err != nil {
		return Request{}, err
	}
	r.status, r.scope, r.version, r.expiresAt = StatusApproved, a.Scope, version, a.ExpiresAt
	r.answeredBy, r.note, r.answeredAt = a.By, note, now
	return r, nil
}

// Deny answers the request with a refusal and a note saying why.
func (r Request) Deny(a Answer, now time.Time) (Request, error) {
	var fe domain.FieldErrors
	note := fe.Text("note", a.Note, 1, MaxNoteLength)
	if err := fe.Err("invalid denial"); err != nil {
		return Request{}, err
	}
	if err := r.pending(); err != nil {
		return Request{}, err
	}
	r.status, r.answeredBy, r.note, r.answeredAt = StatusDenied, a.By, note, now
	return r, nil
}

func (r Request) pending() error {
	if r.status != StatusPending {
		return domain.Conflict("the request is already " + string(r.status))
	}
	return nil
}

// RehydrateParams is a stored row.
type RehydrateParams struct {
	ID, AgentID, GroupID, AnsweredBy domain.ID
	ExtensionID                      string
	Version, Reason, Note            string
	Status                           Status
	Scope                            Scope
	ExpiresAt, CreatedAt, AnsweredAt time.Time
	MachineID, UserHash              string
}

// Rehydrate rebuilds a stored request without judging it again.
func Rehydrate(p RehydrateParams) Request {
	return Request{id: p.ID, agentID: p.AgentID, groupID: p.GroupID, extensionID: extension.ExtensionID(p.ExtensionID),
		version: p.Version, reason: p.Reason, status: p.Status, scope: p.Scope, expiresAt: p.ExpiresAt,
		answeredBy: p.AnsweredBy, note: p.Note, createdAt: p.CreatedAt, answeredAt: p.AnsweredAt,
		machineID: p.MachineID, userHash: p.UserHash}
}

func (r Request) ID() domain.ID                      { return r.id }
func (r Request) AgentID() domain.ID                 { return r.agentID }
func (r Request) GroupID() domain.ID                 { return r.groupID }
func (r Request) ExtensionID() extension.ExtensionID { return r.extensionID }
func (r Request) Version() string                    { return r.version }
func (r Request) Reason() string                     { return r.reason }
func (r Request) Status() Status                     { return r.status }
func (r Request) Scope() Scope                       { return r.scope }
func (r Request) ExpiresAt() time.Time               { return r.expiresAt }
func (r Request) AnsweredBy() domain.ID              { return r.answeredBy }
func (r Request) Note() string                       { return r.note }
func (r Request) CreatedAt() time.Time               { return r.createdAt }
func (r Request) AnsweredAt() time.Time              { return r.answeredAt }
func (r Request) MachineID() string                  { return r.machineID }
func (r Request) UserHash() string                   { return r.userHash }
