package policy

import (
	"cmp"
	"iter"
	"slices"

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
	return p.Judge().Evaluate(items)
}

// EvaluateReport is Evaluate of a report's items, without copying them
// (the ingest path judges every report).
func (p Policy) EvaluateReport(r report.Report) Verdict {
	return p.Judge().evaluate(r.All(), r.Len())
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

// Judge is a policy in lookup form, for judging many inventories under one
// policy: Policy.Evaluate builds the lookup maps for every inventory. It
// fills a memo of rule details as it goes, so one Judge is for one
// goroutine.
type Judge struct {
	p  Policy
	ix index
}

// Judge builds the policy's lookup form once.
func (p Policy) Judge() Judge { return Judge{p: p, ix: p.index()} }

// ETag is the policy's.
func (j Judge) ETag() string { return j.p.ETag }

// Evaluate is Policy.Evaluate.
func (j Judge) Evaluate(items []report.Item) Verdict {
	return j.evaluate(slices.Values(items), len(items))
}

// Outcome is what one installed item adds to a verdict: the kind of the
// violation its rules give ("" for none), whether a warning advisory also
// covers its version, and the action an enforce policy orders for it ("" for
// none). Two items with equal outcomes add the same to any verdict.
type Outcome struct {
	Kind     Kind
	Advisory bool
	Action   ActionType
}

// Violates tells whether the item makes its inventory non-compliant.
func (o Outcome) Violates() bool { return o.Kind != "" || o.Advisory }

// Outcome judges one installed item as Evaluate does.
func (j Judge) Outcome(it report.Item) Outcome {
	kind, _ := j.ix.judge(j.p.Mode, it)
	_, advisory := j.ix.advisories.find(it.ExtensionID(), it.Version(), false)
	o := Outcome{Kind: kind, Advisory: advisory}
	if j.p.Enforcement == group.EnforcementEnforce {
		o.Action = actionFor(kind, j.ix.required, it.ExtensionID())
	}
	return o
}

func (j Judge) evaluate(items iter.Seq[report.Item], n int) Verdict {
	p, ix := j.p, j.ix
	found := map[violationKey]*Violation{}
	var installed map[extension.ExtensionID]bool
	if len(p.Required) > 0 {
		installed = make(map[extension.ExtensionID]bool, n)
	}
	for it := range items {
		if !it.Installed() {
			continue
		}
		if installed != nil {
			installed[it.ExtensionID()] = true
		}
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
		slices.Sort(v.Editors)
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.ExtensionID, b.ExtensionID), cmp.Compare(a.Kind.rank(), b.Kind.rank()))
	})
	return out
}

// actionsFor turns violations into instructions: remove what is blocked or
// unapproved; install the pinned build of required extensions that are
// missing, at the wrong version or altered. Optional extensions at the wrong
// version are reported but left alone: nobody asked for them to be installed.
// Uninstalls come first, so a blocked build is gone before anything is added.
func actionsFor(violations []Violation, required map[extension.ExtensionID]Requirement) []Action {
	var uninstall, install []Action
	for _, v := range violations {
		switch actionFor(v.Kind, required, v.ExtensionID) {
		case ActionUninstall:
			uninstall = appendNew(uninstall, Action{Action: ActionUninstall, ExtensionID: v.ExtensionID})
		case ActionInstall:
			r := required[v.ExtensionID]
			install = appendNew(install, Action{Action: ActionInstall, ExtensionID: r.ExtensionID, Version: r.Version, DownloadURL: r.DownloadURL, SHA256: r.SHA256})
		}
	}
	return append(uninstall, install...)
}

// appendNew appends a unless list has it. Violations are sorted by
// extension, so a repeat is the last one appended.
func appendNew(list []Action, a Action) []Action {
	if n := len(list); n > 0 && list[n-1] == a {
		return list
	}
	return append(list, a)
}

// actionFor is the action a violation of kind orders for id in enforce
// mode: blocked and unapproved builds go; a required extension missing, at
// the wrong version or altered is installed at its pinned build.
func actionFor(kind Kind, required map[extension.ExtensionID]Requirement, id extension.ExtensionID) ActionType {
	switch kind {
	case KindBlocked, KindUnapproved:
		return ActionUninstall
	case KindRequiredMissing, KindVersionMismatch, KindChecksumMismatch:
		if _, ok := required[id]; ok {
			return ActionInstall
		}
	}
	return ""
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
	details  []string // rules[i].Describe(), filled on first use
	matchers []blocklist.Pattern
	ruleIx   *ruleIndex
	required map[extension.ExtensionID]Requirement
	allowed  map[extension.ExtensionID]Allowance

	advisories *advisoryIndex
}

func (p Policy) index() index {
	matchers := p.compiled()
	ix := index{rules: p.Blocked, details: make([]string, len(p.Blocked)), matchers: matchers, ruleIx: p.rules(matchers), advisories: p.advisories(),
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
		if ix.details[i] == "" {
			ix.details[i] = ix.rules[i].Describe()
		}
		return KindBlocked, ix.details[i]
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
