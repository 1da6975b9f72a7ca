// Package report holds an agent's inventory report: every extension it found
// in every editor at one moment, validated as a whole before it is stored or
// evaluated.
package report

import (
	"errors"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// Editor names the editor an extension was found in.
type Editor string

const (
	EditorVSCode         Editor = "vscode"
	EditorVSCodeInsiders Editor = "vscode-insiders"
	EditorVSCodium       Editor = "vscodium"
	EditorCursor         Editor = "cursor"
	EditorWindsurf       Editor = "windsurf"
	EditorCodeServer     Editor = "code-server"
	EditorVSCodeServer   Editor = "vscode-server"
	EditorUnknown        Editor = "unknown" // an extensions folder the agent could not attribute

	// The rest of the family and the forks' remote servers (docs/agent-editors.md).
	EditorDevin          Editor = "devin" // Windsurf's new name
	EditorTrae           Editor = "trae"
	EditorPositron       Editor = "positron"
	EditorKiro           Editor = "kiro"
	EditorAntigravity    Editor = "antigravity"
	EditorVSCodiumServer Editor = "vscodium-server"
	EditorCursorServer   Editor = "cursor-server"
	EditorWindsurfServer Editor = "windsurf-server"
	EditorTraeServer     Editor = "trae-server"
	EditorKiroServer     Editor = "kiro-server"
)

// Editors lists every editor an agent may report.
var Editors = []Editor{EditorVSCode, EditorVSCodeInsiders, EditorVSCodium, EditorCursor,
	EditorWindsurf, EditorCodeServer, EditorVSCodeServer, EditorUnknown,
	EditorDevin, EditorTrae, EditorPositron, EditorKiro, EditorAntigravity,
	EditorVSCodiumServer, EditorCursorServer, EditorWindsurfServer, EditorTraeServer, EditorKiroServer}

// EditorNames is Editors as strings, for messages and schemas.
func EditorNames() []string {
	out := make([]string, len(Editors))
	for i, e := range Editors {
		out[i] = string(e)
	}
	return out
}

// ParseEditor accepts one of Editors, in any case.
func ParseEditor(s string) (Editor, error) {
	e := Editor(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Editors {
		if e == known {
			return e, nil
		}
	}
	return "", domain.Invalid("invalid editor", domain.FieldError{Field: "editor",
		Message: "must be one of " + strings.Join(EditorNames(), ", ")})
}

const (
	// MaxItems bounds one report (the protocol answers 413 above it).
	MaxItems          = 5000
	MaxVersionLength  = 64
	MaxPolicyETagLen  = 128
	MaxFutureSkew     = 5 * time.Minute
	MaxReportAge      = 30 * 24 * time.Hour
	fieldExtensions   = "extensions"
	tooManyItemsIntro = "report lists too many extensions"
)

// Item is one extension in one editor.
type Item struct {
	extensionID extension.ExtensionID
	installed   bool
	version     string
	sha256      string
	editor      Editor
}

// ItemParams is an item as the agent sent it.
type ItemParams struct {
	ExtensionID string
	Installed   bool
	Version     string
	SHA256      string // content digest of the installed folder
	Editor      string
}

// NewItem validates one item; field names are relative ("version").
func NewItem(p ItemParams) (Item, error) {
	var fe domain.FieldErrors
	id, err := extension.ParseExtensionID(p.ExtensionID)
	fe.Include("", err)
	ed, err := ParseEditor(p.Editor)
	fe.Include("", err)
	it := Item{extensionID: id, installed: p.Installed, editor: ed, version: strings.TrimSpace(p.Version)}
	checkVersion(&fe, it.version, p.Installed)
	it.sha256 = checkDigest(&fe, p.SHA256)
	if err := fe.Err("invalid report item"); err != nil {
		return Item{}, err
	}
	return it, nil
}

// Installed versions are checked loosely (not semver): one odd local
// extension must not make a whole machine's report unreadable.
func checkVersion(fe *domain.FieldErrors, v string, installed bool) {
	switch {
	case v == "" && installed:
		fe.Add("version", "is required for an installed extension")
	case len(v) > MaxVersionLength || strings.IndexFunc(v, unicode.IsSpace) >= 0:
		fe.Add("version", "must be at most 64 characters without spaces")
	default:
		fe.CheckText("version", v)
	}
}

func checkDigest(fe *domain.FieldErrors, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	d, ok := domain.NormalizeSHA256(raw)
	if !ok {
		fe.Add("sha256", "must be a SHA-256 digest: 64 hex characters")
	}
	return d
}

// RehydrateItem rebuilds a stored item without validation.
func RehydrateItem(p ItemParams) Item {
	return Item{extensionID: extension.ExtensionID(p.ExtensionID), installed: p.Installed,
		version: p.Version, sha256: p.SHA256, editor: Editor(p.Editor)}
}

func (i Item) ExtensionID() extension.ExtensionID { return i.extensionID }
func (i Item) Installed() bool                    { return i.installed }
func (i Item) Version() string                    { return i.version }
func (i Item) SHA256() string                     { return i.sha256 }
func (i Item) Editor() Editor                     { return i.editor }

// Report is a machine's full inventory at ReportedAt.
type Report struct {
	reportedAt   time.Time
	policyETag   string
	items        []Item
	nativePolicy *NativePolicy // nil when the agent did not say (agents before 2026-12)
}

// ReportParams is a report as the agent sent it.
type ReportParams struct {
	ReportedAt   time.Time
	PolicyETag   string
	Items        []ItemParams
	NativePolicy *NativePolicyParams
}

// NewReport validates a report received at now. Errors name fields like
// "extensions[3].version". Installed items must be unique per (extension,
// editor): two installed copies in one editor are ambiguous, and the agent
// must say which one runs. Removed items (installed: false) may repeat.
func NewReport(p ReportParams, now time.Time) (Report, error) {
	if len(p.Items) > MaxItems {
		return Report{}, TooMany(len(p.Items))
	}
	var fe domain.FieldErrors
	checkReportedAt(&fe, p.ReportedAt, now)
	etag := strings.TrimSpace(p.PolicyETag)
	if len(etag) > MaxPolicyETagLen {
		fe.Add("policy_etag", "must be at most 128 characters")
	}
	fe.CheckText("policy_etag", etag)
	items := checkItems(&fe, p.Items)
	var native *NativePolicy
	if p.NativePolicy != nil {
		n, err := NewNativePolicy(*p.NativePolicy)
		fe.Include("native_policy", err)
		native = &n
	}
	if err := fe.Err("invalid report"); err != nil {
		return Report{}, err
	}
	return Report{reportedAt: p.ReportedAt.UTC(), policyETag: etag, items: items, nativePolicy: native}, nil
}

func checkReportedAt(fe *domain.FieldErrors, at, now time.Time) {
	switch {
	case at.IsZero():
		fe.Add("reported_at", "is required")
	case at.After(now.Add(MaxFutureSkew)):
		fe.Add("reported_at", "is more than 5 minutes in the future; check the machine's clock")
	case at.Before(now.Add(-MaxReportAge)):
		fe.Add("reported_at", "is more than 30 days old")
	}
}

func checkItems(fe *domain.FieldErrors, params []ItemParams) []Item {
	items := make([]Item, 0, len(params))
	firstInstalled := make(map[installedKey]int, len(params))
	seen := make(map[Item]bool, len(params))
	for i, p := range params {
		it, err := NewItem(p)
		if err != nil {
			fe.Include(itemField(i), err)
			continue
		}
		if seen[it] {
			continue // an exact repeat says nothing new
		}
		seen[it] = true
		if it.installed {
			key := installedKey{it.extensionID, it.editor}
			if j, dup := firstInstalled[key]; dup {
				fe.Add(itemField(i), "duplicates "+itemField(j)+": "+string(it.extensionID)+
					" is reported installed twice in "+string(it.editor))
				continue
			}
			firstInstalled[key] = i
		}
		items = append(items, it)
	}
	return items
}

// installedKey is what may be installed only once in a report.
type installedKey struct {
	extensionID extension.ExtensionID
	editor      Editor
}

// itemField names item i in errors ("extensions[3]"); built only for an
// error, since reports are validated item by item on the ingest path.
func itemField(i int) string { return fieldExtensions + "[" + strconv.Itoa(i) + "]" }

// RehydrateReport rebuilds a stored report without validation.
func RehydrateReport(reportedAt time.Time, policyETag string, items []Item) Report {
	return Report{reportedAt: reportedAt, policyETag: policyETag, items: append([]Item(nil), items...)}
}

func (r Report) ReportedAt() time.Time { return r.reportedAt }
func (r Report) PolicyETag() string    { return r.policyETag }

// NativePolicy is the installed editor policy the agent reported; ok is false when it said nothing.
func (r Report) NativePolicy() (n NativePolicy, ok bool) {
	if r.nativePolicy == nil {
		return NativePolicy{}, false
	}
	return *r.nativePolicy, true
}

// Items returns a copy, so callers cannot change a validated report.
func (r Report) Items() []Item { return append([]Item(nil), r.items...) }

// Len is how many items the report holds.
func (r Report) Len() int { return len(r.items) }

// All yields the items in order without copying the list (each item is a
// value, so callers still cannot change the report): the ingest path walks
// every report's items several times.
func (r Report) All() iter.Seq[Item] { return slices.Values(r.items) }

// InstalledItems are the inventory proper; removed items are only records.
func (r Report) InstalledItems() []Item {
	out := make([]Item, 0, len(r.items))
	for _, it := range r.items {
		if it.installed {
			out = append(out, it)
		}
	}
	return out
}

// TooMany is NewReport's refusal of a report of n items, also for callers
// that count them before building one (an HTTP body, before it is
// decoded). It is a plain *domain.Error (so every error mapping handles
// it); IsTooMany recognises it by its message, which nothing else uses.
func TooMany(n int) error {
	return domain.Invalid(tooManyItemsIntro, domain.FieldError{Field: fieldExtensions,
		Message: "lists " + strconv.Itoa(n) + " extensions; at most 5000 are allowed in one report"})
}

// IsTooMany reports whether err is NewReport's refusal of an oversized
// report, which HTTP answers with 413 rather than 400.
func IsTooMany(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Code == domain.CodeInvalid && e.Message == tooManyItemsIntro
}
