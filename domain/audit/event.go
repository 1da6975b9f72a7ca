// Package audit holds audit events: who did what to which target, written in
// the same transaction as the change and fanned out to webhooks.
package audit

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/extguard/extguard/domain"
)

// EventType names what happened, as `<target>.<verb>`.
type EventType string

// Every event the product audits. Webhook subscribers filter on these names,
// so they are a contract: add, never rename.
const (
	UserCreated     EventType = "user.created"
	UserUpdated     EventType = "user.updated"
	UserDeleted     EventType = "user.deleted"
	UserLogin       EventType = "user.login"
	UserLoginFailed EventType = "user.login_failed"
	UserLogout      EventType = "user.logout"

	GroupCreated EventType = "group.created"
	GroupUpdated EventType = "group.updated"
	GroupDeleted EventType = "group.deleted"

	ExtensionCreated          EventType = "extension.created"
	ExtensionUpdated          EventType = "extension.updated"
	ExtensionDeleted          EventType = "extension.deleted"
	ExtensionRevalidated      EventType = "extension.revalidated"
	ExtensionChecksumMismatch EventType = "extension.checksum_mismatch"
	// ExtensionCapabilitiesChanged: a new pinned version can do what the
	// previous one could not (a native binary, an always-on activation, ...).
	ExtensionCapabilitiesChanged EventType = "extension.capabilities_changed"

	AssignmentSet     EventType = "assignment.set"
	AssignmentRemoved EventType = "assignment.removed"

	BlocklistCreated EventType = "blocklist.created"
	BlocklistUpdated EventType = "blocklist.updated"
	BlocklistDeleted EventType = "blocklist.deleted"

	APIKeyCreated  EventType = "api_key.created"
	APIKeyRevoked  EventType = "api_key.revoked"
	APIKeyRejected EventType = "api_key.rejected"

	AgentEnrolled       EventType = "agent.enrolled"
	AgentReenrolled     EventType = "agent.reenrolled"
	AgentDecommissioned EventType = "agent.decommissioned"
	AgentRefused        EventType = "agent.refused"
	AgentStatusChanged  EventType = "agent.status_changed"

	WebhookCreated  EventType = "webhook.created"
	WebhookUpdated  EventType = "webhook.updated"
	WebhookDeleted  EventType = "webhook.deleted"
	WebhookDisabled EventType = "webhook.disabled"
	WebhookTest     EventType = "webhook.test" // sent to one endpoint on request, to check it receives and verifies

	AccessDenied EventType = "access.denied"

	// HistoryRetained: retention removed a month of history (a dropped
	// partition of reports or audit_log, or finished webhook deliveries).
	HistoryRetained          EventType = "history.retained"
	ExtensionRequestCreated  EventType = "extension_request.created"
	ExtensionRequestApproved EventType = "extension_request.approved"
	ExtensionRequestDenied   EventType = "extension_request.denied"
	ExtensionRequestExpired  EventType = "extension_request.expired" // its exception or assignment ended
	ThreatFeedCreated        EventType = "threat_feed.created"
	ThreatFeedDeleted        EventType = "threat_feed.deleted"
	ThreatFeedImported       EventType = "threat_feed.imported"
	AdvisoryMatched          EventType = "advisory.matched"    // an import added advisories that installed extensions match
	AdvisoryLifted           EventType = "advisory.lifted"     // block advisories left their feed
	AdvisorySuppressed       EventType = "advisory.suppressed" // one group no longer applies one advisory
)

// EventTypes lists every audited event type, for filters and validation.
var EventTypes = []EventType{
	UserCreated, UserUpdated, UserDeleted, UserLogin, UserLoginFailed, UserLogout,
	GroupCreated, GroupUpdated, GroupDeleted,
	ExtensionCreated, ExtensionUpdated, ExtensionDeleted, ExtensionRevalidated, ExtensionChecksumMismatch,
	ExtensionCapabilitiesChanged,
	AssignmentSet, AssignmentRemoved,
	BlocklistCreated, BlocklistUpdated, BlocklistDeleted,
	APIKeyCreated, APIKeyRevoked, APIKeyRejected,
	AgentEnrolled, AgentReenrolled, AgentDecommissioned, AgentRefused, AgentStatusChanged,
	WebhookCreated, WebhookUpdated, WebhookDeleted, WebhookDisabled, WebhookTest,
	AccessDenied,
	HistoryRetained,
	ExtensionRequestCreated, ExtensionRequestApproved, ExtensionRequestDenied, ExtensionRequestExpired,
	ThreatFeedCreated, ThreatFeedDeleted, ThreatFeedImported, AdvisoryMatched, AdvisoryLifted, AdvisorySuppressed,
}

// ParseEventType accepts a known event type (for filters and webhook
// subscriptions, where a typo would silently match nothing).
func ParseEventType(s string) (EventType, error) {
	t := EventType(strings.TrimSpace(s))
	for _, known := range EventTypes {
		if t == known {
			return t, nil
		}
	}
	return "", domain.Invalid("invalid event type", domain.FieldError{Field: "event_type",
		Message: "unknown event type " + quote(s)})
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}

// ActorType says what kind of principal acted.
type ActorType string

const (
	ActorUser   ActorType = "user"
	ActorAPIKey ActorType = "api_key"
	ActorAgent  ActorType = "agent"
	ActorSystem ActorType = "system" // workers, startup
)

// Target types: what an event is about.
const (
	TargetUser       = "user"
	TargetGroup      = "group"
	TargetExtension  = "extension"
	TargetAssignment = "assignment"
	TargetBlocklist  = "blocklist"
	TargetAPIKey     = "api_key"
	TargetAgent      = "agent"
	TargetWebhook    = "webhook"
	TargetHistory    = "history" // a table of history; target_id is NULL
	TargetRequest    = "extension_request"
	TargetThreatFeed = "threat_feed"
)

// Actor is who caused an event and from where; handlers build it once per
// request and pass it to use cases.
type Actor struct {
	Type      ActorType
	ID        domain.ID // NilID for system and for failed logins
	ClientIP  string
	UserAgent string
}

// SystemActor is background work acting on its own.
func SystemActor() Actor { return Actor{Type: ActorSystem} }

const (
	MaxUserAgentLength  = 1024
	MaxTargetTypeLength = 64
)

var eventTypeShape = regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*$`)

// Event is one audit_log row.
type Event struct {
	id         domain.ID
	eventType  EventType
	actor      Actor
	groupID    domain.ID
	targetType string
	targetID   domain.ID
	details    map[string]any
	createdAt  time.Time
}

// EventParams describes an event. ID zero gets a fresh (time-ordered) id;
// CreatedAt is the caller's clock reading.
type EventParams struct {
	ID         domain.ID
	Type       EventType
	Actor      Actor
	GroupID    domain.ID
	TargetType string
	TargetID   domain.ID
	Details    map[string]any
	CreatedAt  time.Time
}

// NewEvent validates an event. Details must encode as JSON: they go to a
// jsonb column and to webhooks, and failing here beats failing mid-commit.
// An over-long user agent is truncated, not refused: it is the client's
// text, and an audit row must not fail because of it.
func NewEvent(p EventParams) (Event, error) {
	var fe domain.FieldErrors
	e := Event{id: p.ID, eventType: p.Type, actor: p.Actor, groupID: p.GroupID,
		targetType: strings.TrimSpace(p.TargetType), targetID: p.TargetID, createdAt: p.CreatedAt.UTC()}
	if !eventTypeShape.MatchString(string(p.Type)) || len(p.Type) > 64 {
		fe.Add("event_type", "must look like target.verb")
	}
	checkActor(&fe, &e.actor)
	if len(e.targetType) > MaxTargetTypeLength {
		fe.Add("target_type", "must be at most 64 characters")
	}
	e.details = copyDetails(p.Details)
	if b, err := json.Marshal(e.details); err != nil {
		fe.Add("details", "must be encodable as JSON")
	} else if bytes.Contains(b, []byte(`\u0000`)) {
		e.details = withoutNUL(b)
	}
	if err := fe.Err("invalid audit event"); err != nil {
		return Event{}, err
	}
	if e.id.IsZero() {
		e.id = domain.NewID()
	}
	return e, nil
}

func checkActor(fe *domain.FieldErrors, a *Actor) {
	switch a.Type {
	case ActorUser, ActorAPIKey, ActorAgent, ActorSystem:
	default:
		fe.Add("actor_type", "must be user, api_key, agent or system")
	}
	if ip := strings.TrimSpace(a.ClientIP); ip != "" {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			fe.Add("client_ip", "must be an IP address")
		} else {
			a.ClientIP = addr.Unmap().WithZone("").String()
		}
	}
	a.UserAgent = CleanText(a.UserAgent, MaxUserAgentLength)
}

// CleanText is client-sent text (a header) made safe to store and show: cut
// to at most max bytes at a character boundary, with invalid UTF-8 and
// control characters (Unicode Cc) each replaced by U+FFFD. PostgreSQL text
// refuses NUL and invalid UTF-8, and CR/LF would forge lines wherever the
// text is printed, so an audit row must never carry them.
func CleanText(s string, max int) string {
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// withoutNUL decodes encoded details with every NUL in their text replaced
// by U+FFFD: jsonb refuses \u0000, and details quote client input (a failed
// login's email) whose row must still be written.
func withoutNUL(encoded []byte) map[string]any {
	var v any
	_ = json.Unmarshal(encoded, &v)
	out, _ := replaceNUL(v).(map[string]any)
	return out
}

func replaceNUL(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case []any:
		for i := range v {
			v[i] = replaceNUL(v[i])
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[replaceNUL(k).(string)] = replaceNUL(x)
		}
		return out
	}
	return v
}

func copyDetails(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// RehydrateEvent rebuilds a stored event without validation.
func RehydrateEvent(p EventParams) Event {
	return Event{id: p.ID, eventType: p.Type, actor: p.Actor, groupID: p.GroupID, targetType: p.TargetType,
		targetID: p.TargetID, details: copyDetails(p.Details), createdAt: p.CreatedAt}
}

func (e Event) ID() domain.ID           { return e.id }
func (e Event) Type() EventType         { return e.eventType }
func (e Event) Actor() Actor            { return e.actor }
func (e Event) GroupID() domain.ID      { return e.groupID }
func (e Event) TargetType() string      { return e.targetType }
func (e Event) TargetID() domain.ID     { return e.targetID }
func (e Event) CreatedAt() time.Time    { return e.createdAt }
func (e Event) Details() map[string]any { return copyDetails(e.details) }

// DetailsJSON is the details as stored (jsonb) and delivered; never null.
func (e Event) DetailsJSON() []byte {
	b, err := json.Marshal(e.details)
	if err != nil || e.details == nil {
		return []byte("{}")
	}
	return b
}
