package threatfeed

import (
	"fmt"
	"sort"
	"strings"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// Severity ranks an advisory for people; it changes nothing in enforcement
// (the feed's mode does).
type Severity string

const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
)

const (
	MaxEntries         = 200000
	MaxVersions        = 100
	MaxVersionLength   = 64
	MaxReasonLength    = 1000
	MaxReferenceLength = 2048
)

// Entry is one advisory of a feed: what it names (an extension id, a
// publisher or a pattern), optionally only some versions, and why.
type Entry struct {
	Pattern   blocklist.Pattern
	Versions  []string // sorted; empty: every version
	Severity  Severity
	Reason    string
	Reference string // a URL for people; "" when the feed gives none
}

// Key identifies an entry within a feed: its pattern. A feed that lists a
// pattern twice keeps the first listing.
func (e Entry) Key() string { return string(e.Pattern.Type()) + ":" + e.Pattern.String() }

// EntryParams is an entry as a parser read it.
type EntryParams struct {
	PatternType blocklist.PatternType
	Pattern     string
	Versions    []string
	Severity    string
	Reason      string
	Reference   string
}

// NewEntry validates an entry. Reason and reference are cut rather than
// refused when too long: a feed's prose is not ours to reject.
func NewEntry(p EntryParams) (Entry, error) {
	var fe domain.FieldErrors
	pat, err := blocklist.NewPattern(p.PatternType, p.Pattern)
	fe.Include("", err)
	sev := Severity(strings.ToLower(strings.TrimSpace(p.Severity)))
	switch sev {
	case "":
		sev = SeverityHigh
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow:
	default:
		fe.Add("severity", "must be critical, high, medium or low")
	}
	if len(p.Versions) > MaxVersions {
		fe.Add("versions", fmt.Sprintf("at most %d versions", MaxVersions))
	}
	versions := make([]string, 0, len(p.Versions))
	for _, v := range p.Versions {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > MaxVersionLength || !domain.IsPrintable(v) || strings.ContainsAny(v, " \t") {
			fe.Add("versions", "each version must be 1 to 64 printable characters without spaces")
			break
		}
		versions = append(versions, v)
	}
	sort.Strings(versions)
	versions = compactStrings(versions)
	reason := cut(strings.TrimSpace(p.Reason), MaxReasonLength)
	fe.CheckText("reason", reason)
	ref := strings.TrimSpace(p.Reference)
	if ref != "" && (len(ref) > MaxReferenceLength || !domain.IsPrintable(ref) ||
		!(strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://"))) {
		fe.Add("reference", "must be an http(s) URL of at most 2048 characters")
	}
	if err := fe.Err("invalid feed entry"); err != nil {
		return Entry{}, err
	}
	if len(versions) == 0 {
		versions = nil
	}
	return Entry{Pattern: pat, Versions: versions, Severity: sev, Reason: reason, Reference: ref}, nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !validTail(s) {
		s = s[:len(s)-1]
	}
	return s
}

func validTail(s string) bool { return strings.ToValidUTF8(s, "") == s }

// entrySet gathers a parse's entries, first listing of a pattern wins.
type entrySet struct {
	seen map[string]bool
	list []Entry
}

func (s *entrySet) add(where string, p EntryParams) error {
	e, err := NewEntry(p)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[e.Key()] {
		return nil
	}
	if len(s.list) >= MaxEntries {
		return fmt.Errorf("more than %d entries", MaxEntries)
	}
	s.seen[e.Key()] = true
	s.list = append(s.list, e)
	return nil
}
