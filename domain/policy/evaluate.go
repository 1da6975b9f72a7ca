package policy

import (
	"iter"
	"slices"
	"sort"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/report"
)

// Kind classifies a violation. The values are protocol (protocol/agentv1).
type Kind string

const (
	KindBlocked          Kind = "blocked"
	KindVersionMismatch  Kind = "version_mismatch"
	KindChecksumMismatch Kind = "checksum_mismatch"
	KindUnapproved       Kind = "unapproved"
	KindRequiredMissing  Kind = "required_missing"
)

// Kinds lists every kind in precedence order, the order violations sort in.
var Kinds = []Kind{KindBlocked, KindVersionMismatch, KindChecksumMismatch, KindUnapproved, KindRequiredMissing, KindAdvisory}

func (k Kind) rank() int {
	for i, known := range Kinds {
		if k == known {
			return i
		}
	}
	return len(Kinds)
}

// ActionType is what an enforcing agent is told to do.
type ActionType string

const (
	ActionUninstall ActionType = "uninstall"
	ActionInstall   ActionType = "install"
)

// Violation is one extension breaking one rule, wherever it is installed.
type Violation struct {
	ExtensionID extension.ExtensionID
	Kind        Kind
	Detail      string
	Editors     []report.Editor // where it was found, sorted; empty for required_missing
}

// Action tells an enforcing agent what to change. Version, DownloadURL and
// SHA256 (of the VSIX) are set for installs.
type Action struct {
	Action      ActionType
	ExtensionID extension.ExtensionID
	Version     string
	DownloadURL string
	SHA256      string
}

// Verdict is the outcome of evaluating one inventory.
type Verdict struct {
	Compliant  bool
	Violations []Violation
	Actions    []Action
}

// Evaluate judges a machine's inventory. Only installed items count;
// removed ones (installed: false) are records. A violation is reported once
// per extension and kind, listing the editors it was found in. Actions are
// given only in enforce mode.
func (p Policy) Evaluate(items []report.Item) Verdict {
	return p.evaluate(slices.Values(items), len(items))
}

// EvaluateReport is Evaluate of a report's items, without copying them
// (the ingest path judges every report).
func (p Policy) EvaluateReport(r report.Report) Verdict {
	return p.evaluate(r.All(), r.Len())
}

func (p Policy) evaluate(items iter.Seq[report.Item], n int) Verdict {
	ix := p.index()
	found := map[violationKey]*Violation{}
	installed := make(map[extension.ExtensionID]bool, n)
	for it := range items {
		if !it.Installed() {
			continue
		}
		installed[it.ExtensionID()] = true
		kind, detail := ix.judge(p.Mode, it)
		if kind != "" {
			addViolation(found, it.ExtensionID(), kind, detail, it.Editor())
		}
		if r, ok := ix.advisories.find(it.ExtensionID(), it.Version(), false); ok {
			addViolation(found, it.ExtensionID(), KindAdvisory, r.Describe(), it.Editor())
		}
	}
	for _, r := range p.Required {
		if !installed[r.ExtensionID] {
			addViolation(found, r.ExtensionID, KindRequiredMissing, missingDetail(r), "")
		}
	}
	v := Verdict{Violations: sortedViolations(found)}
	v.Compliant = len(v.Violations) == 0
	if p.Enforcement == group.EnforcementEnforce {
		v.Actions = actionsFor(v.Violations, ix.required)
	}
	return v
}

// ExtensionVerdict judges one item for admin views: the violation kind and
// its detail, or "" when the item is fine or not installed.
func (p Policy) ExtensionVerdict(item report.Item) (Kind, string) {
	if !item.Installed() {
		return "", ""
	}
	ix := p.index()
	if kind, detail := ix.judge(p.Mode, item); kind != "" {
		return kind, detail
	}
	if r, ok := ix.advisories.find(item.ExtensionID(), item.Version(), false); ok {
		return KindAdvisory, r.Describe()
	}
	return "", ""
}

type violationKey struct {
	id   extension.ExtensionID
	kind Kind
}

func addViolation(found map[violationKey]*Violation, id extension.ExtensionID, kind Kind, detail string, ed report.Editor) {
	key := violationKey{id, kind}
	v, ok := found[key]
	if !ok {
		v = &Violation{ExtensionID: id, Kind: kind, Detail: detail}
		found[key] = v
	}
	if ed != "" && !containsEditor(v.Editors, ed) {
		v.Editors = append(v.Editors, ed)
	}
	// Per-editor details can differ (two installed versions); keep the
	// smallest so the verdict does not depend on item order.
	if detail < v.Detail {
		v.Detail = detail
	}
}

func containsEditor(eds []report.Editor, ed report.Editor) bool {
	for _, e := range eds {
		if e == ed {
			return true
		}
	}
	return false
}

func sortedViolations(found map[violationKey]*Violation) []Violation {
	out := make([]Violation, 0, len(found))
	for _, v := range found {
		sort.Slice(v.Editors, func(i, j int) bool { return v.Editors[i] < v.Editors[j] })
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ExtensionID != out[j].ExtensionID {
			return out[i].ExtensionID < out[j].ExtensionID
		}
		return out[i].Kind.rank() < out[j].Kind.rank()
	})
	return out
}

// actionsFor turns violations into instructions: remove what is blocked or
// unapproved; install the pinned build of required extensions that are
// missing, at the wrong version or altered. Optional extensions at the wrong
// version are reported but left alone: nobody asked for them to be installed.
// Uninstalls come first, so a blocked build is gone before anything is added.
func actionsFor(violations []Violation, required map[extension.ExtensionID]Requirement) []Action {
	seen := map[Action]bool{}
	var uninstall, install []Action
	for _, v := range violations {
		switch v.Kind {
		case KindBlocked, KindUnapproved:
			a := Action{Action: ActionUninstall, ExtensionID: v.ExtensionID}
			if !seen[a] {
				seen[a] = true
				uninstall = append(uninstall, a)
			}
		case KindRequiredMissing, KindVersionMismatch, KindChecksumMismatch:
			r, ok := required[v.ExtensionID]
			if !ok {
				continue
			}
			a := Action{Action: ActionInstall, ExtensionID: r.ExtensionID, Version: r.Version, DownloadURL: r.DownloadURL, SHA256: r.SHA256}
			if !seen[a] {
				seen[a] = true
				install = append(install, a)
			}
		}
	}
	return append(uninstall, install...)
}

func missingDetail(r Requirement) string {
	if r.Version == "" {
		return "required, not installed"
	}
	return "required " + r.Version + ", not installed"
}

// index is the policy in lookup form for one evaluation.
type index struct {
	rules    []BlockRule
	matchers []blocklist.Pattern
	ruleIx   *ruleIndex
	required map[extension.ExtensionID]Requirement
	allowed  map[extension.ExtensionID]Allowance

	advisories *advisoryIndex
}

func (p Policy) index() index {
	matchers := p.compiled()
	ix := index{rules: p.Blocked, matchers: matchers, ruleIx: p.rules(matchers), advisories: p.advisories(),
		required: map[extension.ExtensionID]Requirement{}, allowed: map[extension.ExtensionID]Allowance{}}
	for _, r := range p.Required {
		ix.required[r.ExtensionID] = r
	}
	for _, a := range p.Allowed {
		ix.allowed[a.ExtensionID] = a
	}
	return ix
}

// judge applies the precedence of product.md: blocked, then version
// mismatch, then checksum mismatch, then unapproved; first match wins.
func (ix index) judge(mode group.Mode, it report.Item) (Kind, string) {
	id := it.ExtensionID()
	if i := ix.ruleIx.first(ix.matchers, id); i >= 0 {
		return KindBlocked, ix.rules[i].Describe()
	}
	if r, ok := ix.advisories.find(id, it.Version(), true); ok {
		return KindBlocked, r.Describe()
	}
	version, content, assigned := ix.pin(id)
	if assigned && version != "" && it.Version() != version {
		return KindVersionMismatch, "installed " + it.Version() + ", pinned " + version
	}
	// Only a pinned version has an approved digest; without one, or without
	// a reported digest, there is nothing to compare.
	if assigned && version != "" && content != "" && it.SHA256() != "" && it.SHA256() != content {
		return KindChecksumMismatch, "content digest " + short(it.SHA256()) + " differs from the approved " + short(content) + " of " + version
	}
	if mode != group.ModeBlocklist && !assigned { // an unset mode is the safe default, allowlist
		return KindUnapproved, "not assigned to this group"
	}
	return "", ""
}

func (ix index) pin(id extension.ExtensionID) (version, content string, assigned bool) {
	if r, ok := ix.required[id]; ok {
		return r.Version, r.ContentSHA256, true
	}
	if a, ok := ix.allowed[id]; ok {
		return a.Version, a.ContentSHA256, true
	}
	return "", "", false
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12] + "…"
	}
	return digest
}
