package policy

import (
	"slices"
	"sort"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// KindAdvisory is an installed extension that an alert-mode threat feed
// names: reported, never enforced (no action follows from it).
const KindAdvisory Kind = "advisory"

// AdvisoryRule is a threat feed's entry as a group's policy applies it.
// Suppressed advisories never reach CompileInput: the loader leaves out
// what the group suppressed.
type AdvisoryRule struct {
	Feed        string // the feed's name, shown in verdicts
	PatternType blocklist.PatternType
	Pattern     string
	Versions    []string // sorted; empty: every version
	Reason      string
	Reference   string
	Block       bool // a block-mode feed's; otherwise an alert
}

// Describe is the verdict detail: the feed and its reason, e.g.
// "threat feed VS Code: malicious (https://...)".
func (r AdvisoryRule) Describe() string {
	s := "threat feed " + r.Feed
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	if r.Reference != "" {
		s += " (" + r.Reference + ")"
	}
	return s
}

// AsBlockRule is a version-independent block advisory as the blocked
// pattern agents receive, so an agent enforces it like any block.
func (r AdvisoryRule) AsBlockRule() (BlockRule, bool) {
	if !r.Block || len(r.Versions) > 0 {
		return BlockRule{}, false
	}
	return BlockRule{PatternType: r.PatternType, Pattern: r.Pattern, Reason: r.Describe()}, true
}

func (r AdvisoryRule) coversVersion(v string) bool {
	return len(r.Versions) == 0 || slices.Contains(r.Versions, v)
}

func lessAdvisory(a, b AdvisoryRule) bool {
	if a.PatternType != b.PatternType {
		return a.PatternType < b.PatternType
	}
	if a.Pattern != b.Pattern {
		return a.Pattern < b.Pattern
	}
	if a.Feed != b.Feed {
		return a.Feed < b.Feed
	}
	if a.Block != b.Block {
		return a.Block
	}
	return a.Reason < b.Reason
}

// compileAdvisories sorts the rules (so the ETag does not depend on the
// order they were read in) and indexes them.
func compileAdvisories(in []AdvisoryRule) ([]AdvisoryRule, *advisoryIndex) {
	if len(in) == 0 {
		return nil, nil
	}
	rules := slices.Clone(in)
	sort.SliceStable(rules, func(i, j int) bool { return lessAdvisory(rules[i], rules[j]) })
	rules = slices.CompactFunc(rules, func(a, b AdvisoryRule) bool {
		return !lessAdvisory(a, b) && !lessAdvisory(b, a) && slices.Equal(a.Versions, b.Versions)
	})
	return rules, newAdvisoryIndex(rules)
}

// advisoryIndex finds the advisories of an id without walking them all: a
// feed holds thousands of exact ids and publishers, and every report's
// every item is looked up. Globs and regexes are walked.
type advisoryIndex struct {
	n           int
	byID        map[extension.ExtensionID][]int
	byPublisher map[string][]int
	patterns    []int
	matchers    []blocklist.Pattern // of patterns, same order
	rules       []AdvisoryRule
}

func newAdvisoryIndex(rules []AdvisoryRule) *advisoryIndex {
	ix := &advisoryIndex{n: len(rules), byID: map[extension.ExtensionID][]int{}, byPublisher: map[string][]int{}, rules: rules}
	for i, r := range rules {
		switch r.PatternType {
		case blocklist.PatternExact:
			ix.byID[extension.ExtensionID(r.Pattern)] = append(ix.byID[extension.ExtensionID(r.Pattern)], i)
		case blocklist.PatternPublisher:
			ix.byPublisher[r.Pattern] = append(ix.byPublisher[r.Pattern], i)
		default:
			m, err := blocklist.RestorePattern(r.PatternType, r.Pattern)
			if err != nil {
				continue // written validated; a rule that stopped compiling matches nothing rather than everything
			}
			ix.patterns, ix.matchers = append(ix.patterns, i), append(ix.matchers, m)
		}
	}
	return ix
}

// advisories returns the policy's index, building it for a policy that did
// not come from Compile (a cache's copy).
func (p Policy) advisories() *advisoryIndex {
	if p.advIndex != nil && p.advIndex.n == len(p.Advisories) {
		return p.advIndex
	}
	if len(p.Advisories) == 0 {
		return nil
	}
	return newAdvisoryIndex(p.Advisories)
}

// find is the first advisory (in rule order) of the wanted mode that covers
// id at version; ok false when none does.
func (ix *advisoryIndex) find(id extension.ExtensionID, version string, block bool) (AdvisoryRule, bool) {
	if ix == nil {
		return AdvisoryRule{}, false
	}
	best := -1
	consider := func(i int) {
		r := ix.rules[i]
		if r.Block == block && r.coversVersion(version) && (best < 0 || i < best) {
			best = i
		}
	}
	for _, i := range ix.byID[id] {
		consider(i)
	}
	for _, i := range ix.byPublisher[id.Publisher()] {
		consider(i)
	}
	for k, m := range ix.matchers {
		if m.Matches(id) {
			consider(ix.patterns[k])
		}
	}
	if best < 0 {
		return AdvisoryRule{}, false
	}
	return ix.rules[best], true
}

// blockOfEveryVersion is the block advisory covering every version of id,
// as a block rule; ok false when none does.
func (ix *advisoryIndex) blockOfEveryVersion(id extension.ExtensionID) (BlockRule, bool) {
	r, ok := ix.find(id, "", true)
	if !ok {
		return BlockRule{}, false
	}
	return r.AsBlockRule()
}

// withoutBlockedByAdvisory leaves out assignments a block advisory covers
// at their pinned version (any version, when not pinned and the advisory
// names every version), for the reason Compile gives for block rules.
func withoutBlockedByAdvisory(ix *advisoryIndex, required []Requirement, allowed []Allowance) ([]Requirement, []Allowance) {
	if ix == nil {
		return required, allowed
	}
	blocked := func(id extension.ExtensionID, version string) bool {
		r, ok := ix.find(id, version, true)
		return ok && (version != "" || len(r.Versions) == 0)
	}
	required = slices.DeleteFunc(required, func(r Requirement) bool { return blocked(r.ExtensionID, r.Version) })
	allowed = slices.DeleteFunc(allowed, func(a Allowance) bool { return blocked(a.ExtensionID, a.Version) })
	return required, allowed
}
