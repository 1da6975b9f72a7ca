// Package apikey holds API keys: their scopes, their lifecycle and the
// self-checking secret format.
package apikey

import (
	"sort"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
)

// Scope limits what a key may do.
type Scope string

const (
	ScopeAgent Scope = "agent" // the agent protocol, for the key's group
	ScopeAdmin Scope = "admin" // the admin API, as automation
	ScopeRead  Scope = "read"  // read-only admin API
)

// ParseScopes validates, de-duplicates and sorts scopes; at least one is needed.
func ParseScopes(in []string) ([]Scope, error) {
	set := map[Scope]bool{}
	for _, raw := range in {
		s := Scope(strings.ToLower(strings.TrimSpace(raw)))
		switch s {
		case ScopeAgent, ScopeAdmin, ScopeRead:
			set[s] = true
		default:
			return nil, invalidScopes("unknown scope " + quote(raw) + "; must be agent, admin or read")
		}
	}
	if len(set) == 0 {
		return nil, invalidScopes("at least one scope is required: agent, admin or read")
	}
	out := make([]Scope, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func quote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return `"` + s + `"`
}

func invalidScopes(msg string) error {
	return domain.Invalid("invalid scopes", domain.FieldError{Field: "scopes", Message: msg})
}

// FormatScopes is the stored form: comma-separated (the scopes column).
func FormatScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// SplitScopes reads the stored comma-separated form without validation.
func SplitScopes(stored string) []Scope {
	var out []Scope
	for _, p := range strings.Split(stored, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, Scope(p))
		}
	}
	return out
}

const MaxNameLength = 128

// Key is a stored API key: never the secret, only its hash and prefix.
type Key struct {
	id         domain.ID
	groupID    domain.ID // NilID for keys not bound to a group
	createdBy  domain.ID
	keyHash    string
	keyPrefix  string
	name       string
	scopes     []Scope
	expiresAt  time.Time // zero: never expires
	lastUsedAt time.Time
	revokedAt  time.Time
	createdAt  time.Time
}

// KeyParams creates a key from its freshly generated secret. ID zero gets a
// fresh one; CreatedAt is the caller's clock reading.
type KeyParams struct {
	ID        domain.ID
	GroupID   domain.ID
	CreatedBy domain.ID
	Secret    Secret
	Name      string
	Scopes    []string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// NewKey validates a new key. An agent-scoped key must belong to a group:
// the group is what an enrolling agent joins.
func NewKey(p KeyParams) (Key, error) {
	var fe domain.FieldErrors
	k := Key{id: p.ID, groupID: p.GroupID, createdBy: p.CreatedBy, expiresAt: p.ExpiresAt.UTC(), createdAt: p.CreatedAt.UTC()}
	if p.Secret.IsZero() {
		fe.Add("key", "a generated secret is required")
	}
	k.keyHash, k.keyPrefix = p.Secret.Hash(), p.Secret.Prefix()
	k.name = fe.Text("name", p.Name, 1, MaxNameLength)
	scopes, err := ParseScopes(p.Scopes)
	fe.Include("", err)
	k.scopes = scopes
	if k.HasScope(ScopeAgent) && p.GroupID.IsZero() {
		fe.Add("group_id", "an agent key must belong to a group")
	}
	if !k.expiresAt.IsZero() && !k.expiresAt.After(k.createdAt) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err("invalid API key"); err != nil {
		return Key{}, err
	}
	if k.id.IsZero() {
		k.id = domain.NewID()
	}
	return k, nil
}

// Record carries an api_keys row for Rehydrate (Scopes as stored).
type Record struct {
	ID         domain.ID
	GroupID    domain.ID
	CreatedBy  domain.ID
	KeyHash    string
	KeyPrefix  string
	Name       string
	Scopes     string
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
	CreatedAt  time.Time
}

// Rehydrate rebuilds a stored key without validation.
func Rehydrate(r Record) Key {
	return Key{id: r.ID, groupID: r.GroupID, createdBy: r.CreatedBy, keyHash: r.KeyHash,
		keyPrefix: r.KeyPrefix, name: r.Name, scopes: SplitScopes(r.Scopes), expiresAt: r.ExpiresAt,
		lastUsedAt: r.LastUsedAt, revokedAt: r.RevokedAt, createdAt: r.CreatedAt}
}

// Revoke ends the key at now; revoking twice keeps the first time.
func (k Key) Revoke(now time.Time) Key {
	if k.revokedAt.IsZero() {
		k.revokedAt = now.UTC()
	}
	return k
}

// RecordUse notes a successful authentication.
func (k Key) RecordUse(now time.Time) Key {
	k.lastUsedAt = now.UTC()
	return k
}

// UsableAt says whether the key may authenticate at now (401 otherwise).
// Both failures read the same to the caller, so they learn nothing about
// which keys exist. A revoked key is refused whatever now is: revocation
// is stamped by the instance that revoked, and the checking instance's
// clock (coarse, and maybe skewed) may not have reached that time yet.
func (k Key) UsableAt(now time.Time) error {
	if !k.revokedAt.IsZero() {
		return domain.Unauthorized("API key revoked or expired")
	}
	if !k.expiresAt.IsZero() && !now.Before(k.expiresAt) {
		return domain.Unauthorized("API key revoked or expired")
	}
	return nil
}

// HasScope reports whether the key grants s. Admin includes read; agent is
// separate in both directions, so a key on a laptop never administers.
func (k Key) HasScope(s Scope) bool {
	for _, have := range k.scopes {
		if have == s || (have == ScopeAdmin && s == ScopeRead) {
			return true
		}
	}
	return false
}

func (k Key) ID() domain.ID         { return k.id }
func (k Key) GroupID() domain.ID    { return k.groupID }
func (k Key) CreatedBy() domain.ID  { return k.createdBy }
func (k Key) KeyHash() string       { return k.keyHash }
func (k Key) KeyPrefix() string     { return k.keyPrefix }
func (k Key) Name() string          { return k.name }
func (k Key) Scopes() []Scope       { return append([]Scope(nil), k.scopes...) }
func (k Key) ScopesString() string  { return FormatScopes(k.scopes) }
func (k Key) ExpiresAt() time.Time  { return k.expiresAt }
func (k Key) LastUsedAt() time.Time { return k.lastUsedAt }
func (k Key) RevokedAt() time.Time  { return k.revokedAt }
func (k Key) CreatedAt() time.Time  { return k.createdAt }
func (k Key) IsRevoked() bool       { return !k.revokedAt.IsZero() }
