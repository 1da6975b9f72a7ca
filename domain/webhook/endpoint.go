// Package webhook holds webhook endpoints: where audit events are delivered,
// which event types they subscribe to, and the secret deliveries are signed
// with. Generating secrets and guarding against SSRF are adapters' jobs; the
// domain validates what can be checked without I/O.
package webhook

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

const (
	MaxURLLength         = 2048
	MaxDescriptionLength = 1000
	MaxSecretLength      = 128
)

// Endpoint is one webhooks row.
type Endpoint struct {
	id             domain.ID
	url            string
	description    string
	secret         string
	eventTypes     []audit.EventType // empty: every event
	isEnabled      bool
	disabledReason string
	createdBy      domain.ID
	createdAt      time.Time
	updatedAt      time.Time
}

// EndpointParams carries a webhooks row. For NewEndpoint a zero ID gets a
// fresh one, CreatedAt is the caller's clock reading, and IsEnabled nil means enabled.
type EndpointParams struct {
	ID             domain.ID
	URL            string
	Description    string
	Secret         string // whsec_… from the secret generator
	EventTypes     []string
	IsEnabled      *bool
	DisabledReason string
	CreatedBy      domain.ID
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NewEndpoint validates an endpoint and reports every bad field. The URL
// must be absolute https: deliveries carry signed audit data.
func NewEndpoint(p EndpointParams) (Endpoint, error) { return newEndpoint(p, Endpoint{}) }

// newEndpoint validates p as a change of stored (zero for a new endpoint),
// whose unchanged URL and description are kept rather than judged again.
func newEndpoint(p EndpointParams, stored Endpoint) (Endpoint, error) {
	var fe domain.FieldErrors
	e := Endpoint{id: p.ID, secret: p.Secret, isEnabled: p.IsEnabled == nil || *p.IsEnabled,
		createdBy: p.CreatedBy, createdAt: p.CreatedAt.UTC(), updatedAt: p.UpdatedAt.UTC()}
	e.url = checkURL(&fe, p.URL, stored.url)
	e.description = fe.TextKept("description", p.Description, stored.description, 0, MaxDescriptionLength)
	e.eventTypes = checkEventTypes(&fe, p.EventTypes)
	if p.Secret == "" || len(p.Secret) > MaxSecretLength {
		fe.Add("secret", "a generated secret is required")
	}
	e.disabledReason = strings.TrimSpace(p.DisabledReason)
	if e.isEnabled {
		e.disabledReason = ""
	}
	if err := fe.Err("invalid webhook"); err != nil {
		return Endpoint{}, err
	}
	if e.id.IsZero() {
		e.id = domain.NewID()
	}
	if e.updatedAt.IsZero() {
		e.updatedAt = e.createdAt
	}
	return e, nil
}

func checkURL(fe *domain.FieldErrors, raw, stored string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if raw == "" || len(raw) > MaxURLLength || err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		fe.Add("url", "must be an absolute https URL without credentials, at most 2048 characters")
	}
	if raw != stored {
		fe.CheckText("url", raw)
	}
	return raw
}

// checkEventTypes refuses unknown names (a typo would silently subscribe to
// nothing) and returns the set sorted, so equal subscriptions compare equal.
func checkEventTypes(fe *domain.FieldErrors, in []string) []audit.EventType {
	set := map[audit.EventType]bool{}
	for i, raw := range in {
		t, err := audit.ParseEventType(raw)
		if err != nil {
			fe.Add("event_types["+strconv.Itoa(i)+"]", "unknown event type; see the audit event types in the API document")
			continue
		}
		set[t] = true
	}
	out := make([]audit.EventType, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// RehydrateEndpoint rebuilds a stored endpoint without validation.
func RehydrateEndpoint(p EndpointParams) Endpoint {
	types := make([]audit.EventType, len(p.EventTypes))
	for i, t := range p.EventTypes {
		types[i] = audit.EventType(t)
	}
	return Endpoint{id: p.ID, url: p.URL, description: p.Description, secret: p.Secret, eventTypes: types,
		isEnabled: p.IsEnabled == nil || *p.IsEnabled, disabledReason: p.DisabledReason, createdBy: p.CreatedBy,
		createdAt: p.CreatedAt, updatedAt: p.UpdatedAt}
}

// EndpointPatch is a PATCH: nil fields stay. Enabling clears the reason a
// worker disabled the endpoint for. At is the update time, from the caller's clock.
type EndpointPatch struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	IsEnabled   *bool
	At          time.Time
}

// WithChanges applies a patch and re-validates the endpoint.
func (e Endpoint) WithChanges(p EndpointPatch) (Endpoint, error) {
	params := e.params()
	if p.URL != nil {
		params.URL = *p.URL
	}
	if p.Description != nil {
		params.Description = *p.Description
	}
	if p.EventTypes != nil {
		params.EventTypes = *p.EventTypes
	}
	if p.IsEnabled != nil {
		params.IsEnabled = p.IsEnabled
	}
	params.UpdatedAt = p.At
	return newEndpoint(params, e)
}

func (e Endpoint) params() EndpointParams {
	types := make([]string, len(e.eventTypes))
	for i, t := range e.eventTypes {
		types[i] = string(t)
	}
	enabled := e.isEnabled
	return EndpointParams{ID: e.id, URL: e.url, Description: e.description, Secret: e.secret, EventTypes: types,
		IsEnabled: &enabled, DisabledReason: e.disabledReason, CreatedBy: e.createdBy, CreatedAt: e.createdAt}
}

// Subscribes reports whether the endpoint receives events of type t.
func (e Endpoint) Subscribes(t audit.EventType) bool {
	if len(e.eventTypes) == 0 {
		return true
	}
	for _, have := range e.eventTypes {
		if have == t {
			return true
		}
	}
	return false
}

func (e Endpoint) ID() domain.ID       { return e.id }
func (e Endpoint) URL() string         { return e.url }
func (e Endpoint) Description() string { return e.description }
func (e Endpoint) Secret() string      { return e.secret }
func (e Endpoint) EventTypes() []audit.EventType {
	return append([]audit.EventType(nil), e.eventTypes...)
}
func (e Endpoint) IsEnabled() bool        { return e.isEnabled }
func (e Endpoint) DisabledReason() string { return e.disabledReason }
func (e Endpoint) CreatedBy() domain.ID   { return e.createdBy }
func (e Endpoint) CreatedAt() time.Time   { return e.createdAt }
func (e Endpoint) UpdatedAt() time.Time   { return e.updatedAt }

// RedactedURL is the URL without its path, query and user info: receivers
// often carry their credential there (a Slack incoming webhook's path is
// the secret), so audit rows and read-only views show only where it goes.
func (e Endpoint) RedactedURL() string {
	u, err := url.Parse(e.url)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/…"
}
