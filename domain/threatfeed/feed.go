// Package threatfeed holds the lists of known-bad extensions that extguard
// learns from (the editors' control manifests, the Marketplace's removal
// history, extguard's own format): the feed a list comes from, its entries,
// and the parsers of each format. A parse is all or nothing: a feed whose
// content does not parse whole keeps its last good entries.
package threatfeed

import (
	"net/url"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
)

// Kind is the format of a feed's content.
type Kind string

const (
	KindVSCodeControl   Kind = "vscode-control"   // VS Code's extensions control manifest
	KindOpenVSXControl  Kind = "openvsx-control"  // Open VSX's copy of the same schema
	KindRemovedPackages Kind = "removed-packages" // the Marketplace's RemovedPackages.md
	KindExtguard        Kind = "extguard"         // extguard's own JSON (docs/threat-feeds.md)
)

// Kinds lists every kind.
var Kinds = []Kind{KindVSCodeControl, KindOpenVSXControl, KindRemovedPackages, KindExtguard}

// Mode says what a feed's advisories do to policies.
type Mode string

const (
	ModeBlock Mode = "block" // advisories block, like blocklist entries
	ModeAlert Mode = "alert" // advisories are reported as violations of kind advisory, never enforced
)

const (
	MaxNameLength    = 200
	MaxURLLength     = 2048
	MinInterval      = 5 * time.Minute
	MaxInterval      = 7 * 24 * time.Hour
	DefaultInterval  = 6 * time.Hour
	MaxErrorLength   = 1000
	MaxContentLength = 16 << 20 // a feed's body, fetched or imported
)

// Status is what the last fetches or imports of a feed did.
type Status struct {
	LastSuccessAt time.Time // zero: never
	LastErrorAt   time.Time // zero: no error since the last success
	LastError     string
	EntryCount    int
	ETag          string // validators of the last good fetch, sent back on the next
	LastModified  string
}

// Feed is one configured feed.
type Feed struct {
	id        domain.ID
	name      string
	kind      Kind
	url       string // "" for a feed that is only imported
	mode      Mode
	interval  time.Duration
	status    Status
	createdAt time.Time
}

// Params carries a feed. For New a zero ID gets a fresh one and a zero
// Interval the default.
type Params struct {
	ID        domain.ID
	Name      string
	Kind      string
	URL       string
	Mode      string
	Interval  time.Duration
	Status    Status
	CreatedAt time.Time
}

// New validates a new feed. The URL, when given, must be https (the
// SSRF guard checks its host separately, when written and when dialled).
func New(p Params) (Feed, error) {
	var fe domain.FieldErrors
	f := Feed{id: p.ID, createdAt: p.CreatedAt, interval: p.Interval}
	f.name = fe.Text("name", p.Name, 1, MaxNameLength)
	k, err := ParseKind(p.Kind)
	fe.Include("", err)
	f.kind = k
	m, err := ParseMode(p.Mode)
	fe.Include("", err)
	f.mode = m
	f.url = strings.TrimSpace(p.URL)
	if f.url != "" {
		if u, err := url.Parse(f.url); err != nil || u.Scheme != "https" || u.Host == "" || len(f.url) > MaxURLLength || !domain.IsPrintable(f.url) {
			fe.Add("url", "must be an https URL of at most 2048 characters")
		}
	}
	if f.interval == 0 {
		f.interval = DefaultInterval
	}
	if f.interval < MinInterval || f.interval > MaxInterval {
		fe.Add("interval", "must be between 5m and 168h")
	}
	if err := fe.Err("invalid threat feed"); err != nil {
		return Feed{}, err
	}
	if f.id.IsZero() {
		f.id = domain.NewID()
	}
	return f, nil
}

// Rehydrate rebuilds a stored feed.
func Rehydrate(p Params) Feed {
	return Feed{id: p.ID, name: p.Name, kind: Kind(p.Kind), url: p.URL, mode: Mode(p.Mode), interval: p.Interval,
		status: p.Status, createdAt: p.CreatedAt}
}

// ParseKind accepts the four kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.TrimSpace(s))
	for _, known := range Kinds {
		if k == known {
			return k, nil
		}
	}
	return "", domain.Invalid("invalid kind", domain.FieldError{Field: "kind",
		Message: "must be vscode-control, openvsx-control, removed-packages or extguard"})
}

// ParseMode accepts block and alert.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.TrimSpace(s)); m {
	case ModeBlock, ModeAlert:
		return m, nil
	}
	return "", domain.Invalid("invalid mode", domain.FieldError{Field: "mode", Message: "must be block or alert"})
}

func (f Feed) ID() domain.ID { return f.id }
func (f Feed) Name() string  { return f.name }
func (f Feed) Kind() Kind    { return f.kind }
func (f Feed) URL() string   { return f.url }

// RedactedURL is the URL without user info, query or fragment: a private
// feed may carry its access token there, and audit rows reach webhooks. The
// path stays, since it says which feed it is.
func (f Feed) RedactedURL() string {
	u, err := url.Parse(f.url)
	if err != nil || u.Host == "" {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
func (f Feed) Mode() Mode              { return f.mode }
func (f Feed) Interval() time.Duration { return f.interval }
func (f Feed) Status() Status          { return f.status }
func (f Feed) CreatedAt() time.Time    { return f.createdAt }

// WithStatus is the feed with status s, as stored after a fetch or import.
func (f Feed) WithStatus(s Status) Feed {
	f.status = s
	return f
}

// Due reports whether a fetched feed should be fetched again at now: its
// interval has passed since the last attempt, good or bad.
func (f Feed) Due(now time.Time) bool {
	if f.url == "" {
		return false
	}
	last := f.status.LastSuccessAt
	if f.status.LastErrorAt.After(last) {
		last = f.status.LastErrorAt
	}
	return last.IsZero() || !now.Before(last.Add(f.interval))
}

// CutError shortens an error message for the status, keeping it printable.
func CutError(msg string) string {
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > MaxErrorLength {
		msg = msg[:MaxErrorLength]
	}
	return strings.ToValidUTF8(msg, "�")
}
