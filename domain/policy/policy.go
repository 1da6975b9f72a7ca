// Package policy compiles a group's assignments, the catalog and the
// blocklist into the policy agents enforce, and evaluates inventories
// against it. This is the product's core rule set (product.md, "Policy
// semantics"); it is deterministic so that its ETag only changes when the
// policy does.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// Assignment is a catalog entry assigned to the group.
type Assignment struct {
	Entry    extension.Entry
	Required bool
}

// CompileInput is everything a group's policy depends on.
type CompileInput struct {
	GroupID     domain.ID
	Settings    group.Settings
	Assignments []Assignment
	// Blocklist applies to every group; inactive entries are ignored.
	Blocklist []blocklist.Entry
	// BlockedCatalog holds catalog entries with is_blocked set, assigned or
	// not: a catalog block applies everywhere.
	BlockedCatalog []extension.Entry
	// Advisories are the threat feeds' entries, less what the group
	// suppressed (advisory.go).
	Advisories []AdvisoryRule
}

// Requirement is an extension every agent of the group must have.
type Requirement struct {
	ExtensionID   extension.ExtensionID
	Version       string // "" when not pinned
	SHA256        string // of the VSIX at Version
	ContentSHA256 string // of the unpacked extension, once revalidated
	DownloadURL   string
}

// Allowance is an assigned, optional extension. It carries the pinned
// version and content digest because they bind optional installs too.
type Allowance struct {
	ExtensionID   extension.ExtensionID
	Version       string // "" when not pinned
	ContentSHA256 string
}

// BlockRule is a blocking pattern with the reason shown to users.
type BlockRule struct {
	PatternType blocklist.PatternType
	Pattern     string
	Reason      string
}

// Describe is the rule as shown in a violation, e.g.
// "publisher evil: malware, advisory 2026-11".
func (r BlockRule) Describe() string {
	return blocklist.Describe(r.PatternType, r.Pattern, r.Reason)
}

// Policy is a group's compiled policy. The exported fields are a read-only
// view (what agents receive, sorted); treat them as such. A Policy decoded
// from a cache should go through Restore before evaluating many reports.
type Policy struct {
	GroupID            domain.ID
	Mode               group.Mode
	Enforcement        group.Enforcement
	HeartbeatIntervalS int
	Required           []Requirement
	Allowed            []Allowance
	Blocked            []BlockRule
	Advisories         []AdvisoryRule
	ETag               string

	matchers []blocklist.Pattern // compiled Blocked, same order
	ruleIx   *ruleIndex          // of matchers
	advIndex *advisoryIndex      // of Advisories
}

// catalogBlockReason is shown when an admin blocked a catalog entry without
// saying why.
const catalogBlockReason = "blocked in the catalog"

// Compile builds the group's policy. Assigned extensions that any rule
// blocks are left out of required and allowed: asking agents to install what
// they must also uninstall would make them loop.
func Compile(in CompileInput) Policy {
	p := Policy{
		GroupID:            in.GroupID,
		Mode:               in.Settings.Mode(),
		Enforcement:        in.Settings.Enforcement(),
		HeartbeatIntervalS: in.Settings.HeartbeatIntervalS(),
	}
	p.Blocked, p.matchers = compileBlocked(in)
	p.ruleIx = newRuleIndex(p.matchers)
	p.Required, p.Allowed = compileAssignments(in.Assignments, p.matchers)
	p.Advisories, p.advIndex = compileAdvisories(in.Advisories)
	p.Required, p.Allowed = withoutBlockedByAdvisory(p.advIndex, p.Required, p.Allowed)
	p.ETag = etag(p, in.Settings)
	return p
}

type compiledRule struct {
	rule    BlockRule
	matcher blocklist.Pattern
}

func compileBlocked(in CompileInput) ([]BlockRule, []blocklist.Pattern) {
	var rules []compiledRule
	for _, e := range in.Blocklist {
		if e.IsActive() && !e.Pattern().IsZero() {
			rules = append(rules, compiledRule{BlockRule{e.PatternType(), e.Pattern().String(), e.Reason()}, e.Pattern()})
		}
	}
	catalog := append([]extension.Entry(nil), in.BlockedCatalog...)
	for _, a := range in.Assignments {
		catalog = append(catalog, a.Entry) // a blocked assignment blocks even if the caller forgot it
	}
	for _, e := range catalog {
		if e.IsBlocked() && e.ExtensionID() != "" {
			rules = append(rules, catalogRule(e))
		}
	}
	sort.Slice(rules, func(i, j int) bool { return lessRule(rules[i].rule, rules[j].rule) })
	var out []BlockRule
	var matchers []blocklist.Pattern
	for i, r := range rules {
		if i > 0 && r.rule == rules[i-1].rule {
			continue
		}
		out, matchers = append(out, r.rule), append(matchers, r.matcher)
	}
	return out, matchers
}

func catalogRule(e extension.Entry) compiledRule {
	reason := e.BlockReason()
	if reason == "" {
		reason = catalogBlockReason
	}
	m, _ := blocklist.RestorePattern(blocklist.PatternExact, e.ExtensionID().String())
	return compiledRule{BlockRule{blocklist.PatternExact, e.ExtensionID().String(), reason}, m}
}

func lessRule(a, b BlockRule) bool {
	if a.PatternType != b.PatternType {
		return a.PatternType < b.PatternType
	}
	if a.Pattern != b.Pattern {
		return a.Pattern < b.Pattern
	}
	return a.Reason < b.Reason
}

func compileAssignments(assignments []Assignment, matchers []blocklist.Pattern) ([]Requirement, []Allowance) {
	chosen := map[extension.ExtensionID]Assignment{}
	for _, a := range assignments {
		id := a.Entry.ExtensionID()
		if id == "" || blockedBy(matchers, id) >= 0 {
			continue
		}
		if prev, seen := chosen[id]; !seen || preferAssignment(a, prev) {
			chosen[id] = a
		}
	}
	var required []Requirement
	var allowed []Allowance
	for id, a := range chosen {
		e := a.Entry
		if a.Required {
			required = append(required, Requirement{id, e.PinnedVersion(), e.SHA256(), e.ContentSHA256(), e.MarketplaceURL()})
		} else {
			allowed = append(allowed, Allowance{id, e.PinnedVersion(), e.ContentSHA256()})
		}
	}
	sort.Slice(required, func(i, j int) bool { return required[i].ExtensionID < required[j].ExtensionID })
	sort.Slice(allowed, func(i, j int) bool { return allowed[i].ExtensionID < allowed[j].ExtensionID })
	return required, allowed
}

// preferAssignment settles duplicate assignments of one id (which the
// database should prevent) independently of input order: required wins,
// then the lower catalog id.
func preferAssignment(a, b Assignment) bool {
	if a.Required != b.Required {
		return a.Required
	}
	return a.Entry.ID().String() < b.Entry.ID().String()
}

// blockedBy is the index of the first rule blocking id, or -1.
func blockedBy(matchers []blocklist.Pattern, id extension.ExtensionID) int {
	for i, m := range matchers {
		if m.Matches(id) {
			return i
		}
	}
	return -1
}

// canonicalPolicy is what the ETag hashes: everything that shapes agents'
// behaviour and the group's thresholds, never the generation time.
type canonicalPolicy struct {
	Version            int
	GroupID            string
	Mode               group.Mode
	Enforcement        group.Enforcement
	HeartbeatIntervalS int
	StaleAfterS        int
	OfflineAfterS      int
	Required           []Requirement
	Allowed            []Allowance
	Blocked            []BlockRule
	Advisories         []AdvisoryRule `json:",omitempty"` // omitted when empty: policies without advisories keep their ETags
}

// etag is a strong, quoted ETag: "p-" and 32 hex digits (128 bits) of the
// SHA-256 of the canonical JSON. encoding/json writes struct fields in
// declaration order and the slices are sorted, so equal policies hash equal.
func etag(p Policy, s group.Settings) string {
	doc, err := json.Marshal(canonicalPolicy{1, p.GroupID.String(), p.Mode, p.Enforcement,
		p.HeartbeatIntervalS, s.StaleAfterS(), s.OfflineAfterS(), p.Required, p.Allowed, p.Blocked, p.Advisories})
	if err != nil {
		panic("policy: canonical form does not encode: " + err.Error()) // only plain strings and ints
	}
	sum := sha256.Sum256(doc)
	return `"p-` + hex.EncodeToString(sum[:])[:32] + `"`
}

// Restore recompiles the matchers of a policy read back from a cache, keeping
// its ETag. A rule that no longer compiles is an internal error.
func Restore(p Policy) (Policy, error) {
	p.matchers = make([]blocklist.Pattern, len(p.Blocked))
	for i, r := range p.Blocked {
		m, err := blocklist.RestorePattern(r.PatternType, r.Pattern)
		if err != nil {
			return Policy{}, domain.Internal("cached policy holds a rule that does not compile")
		}
		p.matchers[i] = m
	}
	p.ruleIx = newRuleIndex(p.matchers)
	p.advIndex = p.advisories()
	return p, nil
}

// compiled returns matchers for Blocked, compiling them when the policy did
// not come from Compile or Restore.
func (p Policy) compiled() []blocklist.Pattern {
	if len(p.matchers) == len(p.Blocked) {
		return p.matchers
	}
	restored, err := Restore(p)
	if err != nil {
		// Keep whatever compiles: dropping a whole policy would unblock everything.
		ms := make([]blocklist.Pattern, len(p.Blocked))
		for i, r := range p.Blocked {
			ms[i], _ = blocklist.RestorePattern(r.PatternType, r.Pattern)
		}
		return ms
	}
	return restored.matchers
}
