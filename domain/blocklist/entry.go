package blocklist

import (
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// MaxReasonLength bounds the reason shown to admins and agents.
const MaxReasonLength = 1000

// Entry is one blocklist row. Blocklist entries apply to every group; only
// active ones take part in policies.
type Entry struct {
	id        domain.ID
	pattern   Pattern
	reason    string
	createdBy domain.ID
	isActive  bool
	createdAt time.Time
	updatedAt time.Time
}

// EntryParams carries a blocklist row. IsActive nil means active: forgetting
// it must not silently create a block that blocks nothing. For NewEntry a
// zero ID gets a fresh one and CreatedAt is the caller's clock reading.
type EntryParams struct {
	ID          domain.ID
	PatternType string
	Pattern     string
	Reason      string
	CreatedBy   domain.ID
	IsActive    *bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewEntry validates and compiles a new blocklist entry.
func NewEntry(p EntryParams) (Entry, error) { return newEntry(p, Entry{}) }

// newEntry validates p as a change of stored (zero for a new entry), whose
// unchanged pattern and reason are kept rather than judged again.
func newEntry(p EntryParams, stored Entry) (Entry, error) {
	var fe domain.FieldErrors
	e := Entry{id: p.ID, createdBy: p.CreatedBy, isActive: p.IsActive == nil || *p.IsActive,
		createdAt: p.CreatedAt, updatedAt: p.UpdatedAt}
	t, err := ParsePatternType(p.PatternType)
	fe.Include("", err)
	switch {
	case err != nil:
	case t == stored.pattern.Type() && p.Pattern == stored.pattern.String():
		e.pattern = stored.pattern
	default:
		e.pattern, err = NewPattern(t, p.Pattern)
		fe.Include("", err)
	}
	e.reason = fe.TextKept("reason", p.Reason, stored.reason, 0, MaxReasonLength)
	if err := fe.Err("invalid blocklist entry"); err != nil {
		return Entry{}, err
	}
	if e.id.IsZero() {
		e.id = domain.NewID()
	}
	if e.updatedAt.IsZero() {
		e.updatedAt = e.createdAt
	}
	return e, nil
}

// RehydrateEntry rebuilds a stored entry. Unlike other rehydrate functions it
// can fail: the pattern must be compiled to match, and a row that no longer
// compiles is an internal error, never a silently ignored block.
func RehydrateEntry(p EntryParams) (Entry, error) {
	pat, err := RestorePattern(PatternType(p.PatternType), p.Pattern)
	if err != nil {
		return Entry{}, domain.Internal("stored blocklist entry " + p.ID.String() + " does not compile")
	}
	return Entry{id: p.ID, pattern: pat, reason: p.Reason, createdBy: p.CreatedBy,
		isActive: p.IsActive == nil || *p.IsActive, createdAt: p.CreatedAt, updatedAt: p.UpdatedAt}, nil
}

// EntryPatch is a PATCH: nil fields stay. Changing the pattern type needs a
// pattern valid for the new type. At is the update time, from the caller's clock.
type EntryPatch struct {
	PatternType *string
	Pattern     *string
	Reason      *string
	IsActive    *bool
	At          time.Time
}

// WithChanges applies a patch and re-validates the result.
func (e Entry) WithChanges(p EntryPatch) (Entry, error) {
	params := EntryParams{ID: e.id, PatternType: string(e.pattern.Type()), Pattern: e.pattern.String(),
		Reason: e.reason, CreatedBy: e.createdBy, IsActive: &e.isActive, CreatedAt: e.createdAt}
	if p.PatternType != nil {
		params.PatternType = *p.PatternType
	}
	if p.Pattern != nil {
		params.Pattern = *p.Pattern
	}
	if p.Reason != nil {
		params.Reason = *p.Reason
	}
	if p.IsActive != nil {
		params.IsActive = p.IsActive
	}
	params.UpdatedAt = p.At.UTC()
	return newEntry(params, e)
}

// Matches reports whether this entry, if active, blocks the extension.
func (e Entry) Matches(id extension.ExtensionID) bool {
	return e.isActive && e.pattern.Matches(id)
}

// Describe is the one-line explanation agents and admins see, e.g.
// "publisher evil: malware, advisory 2026-11".
func (e Entry) Describe() string {
	return Describe(e.pattern.Type(), e.pattern.String(), e.reason)
}

// Describe formats a block rule the way Entry.Describe does, for rules that
// are not blocklist entries (catalog blocks in a compiled policy).
func Describe(t PatternType, pattern, reason string) string {
	s := string(t) + " " + pattern
	if reason != "" {
		s += ": " + reason
	}
	return s
}

func (e Entry) ID() domain.ID            { return e.id }
func (e Entry) Pattern() Pattern         { return e.pattern }
func (e Entry) PatternType() PatternType { return e.pattern.Type() }
func (e Entry) Reason() string           { return e.reason }
func (e Entry) CreatedBy() domain.ID     { return e.createdBy }
func (e Entry) IsActive() bool           { return e.isActive }
func (e Entry) CreatedAt() time.Time     { return e.createdAt }
func (e Entry) UpdatedAt() time.Time     { return e.updatedAt }
