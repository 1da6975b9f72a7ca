package application

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// VerdictImpact is what a candidate policy does to the fleet's verdicts:
// every group's current and candidate compiled policy (policy.Compile, with
// the agents' exceptions and the threat feeds' blocks as agents get them)
// evaluated by policy.Evaluate against its agents' current inventory.
type VerdictImpact struct {
	TurnNonCompliant int // agents compliant now, non-compliant under the candidate
	TurnCompliant    int // and the other way round
	Uninstalls       int // uninstalls (agent × extension) enforce groups would newly order
	RequiredInstalls int // installs of required extensions newly ordered
	Groups           []GroupVerdictImpact
}

// GroupVerdictImpact is one group's share, with the extensions behind it.
type GroupVerdictImpact struct {
	GroupID          domain.ID
	GroupName        string
	Mode             group.Mode        // the candidate's
	Enforcement      group.Enforcement // the candidate's
	TurnNonCompliant int
	TurnCompliant    int
	Uninstalls       int
	RequiredInstalls int
	Extensions       []ExtensionVerdictImpact // why, by extension id
	Sample           []AgentVerdictChange     // the first agents by id, at most ImpactSample
}

// ExtensionVerdictImpact is what one extension does in a group: how many
// agents it turns non-compliant (a new violation) or compliant (its
// violation resolved), and the actions it would order. Kind is the most
// severe (policy.Kinds order) of the violations behind those counts.
type ExtensionVerdictImpact struct {
	ExtensionID  extension.ExtensionID
	Kind         policy.Kind
	NonCompliant int
	Compliant    int
	Uninstalls   int
	Installs     int
}

// AgentVerdictChange is one agent's change: Becomes is "non_compliant",
// "compliant" or "" (only its actions change).
type AgentVerdictChange struct {
	AgentID   domain.ID
	Becomes   string
	Uninstall []extension.ExtensionID
	Install   []extension.ExtensionID
}

// PolicyImpact computes a VerdictImpact. It reads only what can change: the
// items of extensions whose rule differs between the two policies (found
// with BlockImpact's selector for block patterns), whole groups whose mode
// or enforcement changes, and the agents of groups whose required set
// changes. Only agents whose judged items turn from all fine to not (or
// back) need their other items, which judge the same under both policies:
// their stored verdict tells, or else what either policy may find at fault
// (policy_impact_settle.go).
type PolicyImpact struct {
	Inputs     PolicyInputs
	Inventory  VerdictInventory
	Exceptions LiveExceptions // nil: no agent has any
	Select     BlockImpact
	Clock      Clock
}

// groupPolicies is one group's two compiled policies and what differs.
type groupPolicies struct {
	group              group.Group
	current, candidate policy.Policy
	touched            touchedRules
	// The policies' lookup forms, built once for all the group's agents,
	// and what they say of each distinct item (id, version, digest) the
	// plan reads: most items repeat across thousands of agents.
	currentJudge, candidateJudge policy.Judge
	outcomes                     map[itemKey][2]policy.Outcome
	selected                     GroupSelection // what the plan read of it
}

type itemKey struct{ id, version, sha256 string }

func newGroupPolicies(g group.Group, current, candidate policy.Policy) *groupPolicies {
	return &groupPolicies{group: g, current: current, candidate: candidate, touched: touchedBetween(current, candidate),
		currentJudge: current.Judge(), candidateJudge: candidate.Judge(), outcomes: map[itemKey][2]policy.Outcome{}}
}

// outcomesOf is what each item adds to a verdict under the current and the
// candidate policy, from the memo.
func (gp *groupPolicies) outcomesOf(items []report.Item) [][2]policy.Outcome {
	out := make([][2]policy.Outcome, len(items))
	for i, it := range items {
		if !it.Installed() {
			continue
		}
		k := itemKey{it.ExtensionID().String(), it.Version(), it.SHA256()}
		o, ok := gp.outcomes[k]
		if !ok {
			o = [2]policy.Outcome{gp.currentJudge.Outcome(it), gp.candidateJudge.Outcome(it)}
			gp.outcomes[k] = o
		}
		out[i] = o
	}
	return out
}

// missing is, under each policy, the changed requirements (touched.required;
// every requirement when the group is read whole) that items lack, by id.
// The requirements that do not change are missing alike under both
// policies. The plan selects every changed requirement's id, so an agent
// lacks one exactly when its selected items lack it.
func (gp *groupPolicies) missing(items []report.Item) [2][]extension.ExtensionID {
	return gp.missingOf(items, gp.touched.whole)
}

// missingOf is missing, of every requirement when every is set.
func (gp *groupPolicies) missingOf(items []report.Item, every bool) [2][]extension.ExtensionID {
	var out [2][]extension.ExtensionID
	if len(gp.touched.required) == 0 && !every {
		return out
	}
	installed := map[extension.ExtensionID]bool{}
	for _, it := range items {
		if it.Installed() {
			installed[it.ExtensionID()] = true
		}
	}
	for side, p := range []policy.Policy{gp.current, gp.candidate} {
		for _, r := range p.Required {
			if (every || gp.touched.required[r.ExtensionID]) && !installed[r.ExtensionID] {
				out[side] = append(out[side], r.ExtensionID)
			}
		}
	}
	return out
}

// missingAlike tells whether the requirements an agent lacks add the same
// under both policies: the same ones, and the same install orders (an
// enforcement change orders installs of what it lacked before).
func (gp *groupPolicies) missingAlike(missing [2][]extension.ExtensionID) bool {
	return slices.Equal(missing[0], missing[1]) && (len(missing[0]) == 0 || gp.current.Enforcement == gp.candidate.Enforcement)
}

// unchanged tells whether items add the same to an agent's verdict under
// both policies, item by item: each violates under both or neither and
// orders the same action. Then the agent's compliance and actions cannot
// change.
func unchanged(outcomes [][2]policy.Outcome) bool {
	for _, o := range outcomes {
		if o[0].Violates() != o[1].Violates() || o[0].Action != o[1].Action {
			return false
		}
	}
	return true
}

// Of compares current with candidate. Errors: unavailable.
func (pi PolicyImpact) Of(ctx context.Context, current, candidate PolicyState) (VerdictImpact, error) {
	groups, err := pi.compileAll(ctx, current, candidate)
	if err != nil {
		return VerdictImpact{}, err
	}
	exceptions, err := pi.liveExceptions(ctx)
	if err != nil {
		return VerdictImpact{}, err
	}
	inventories, err := pi.read(ctx, groups, exceptions)
	if err != nil {
		return VerdictImpact{}, err
	}
	ev := newImpactEvaluation(groups, exceptions)
	if err := pi.settle(ctx, ev, ev.judgeSelected(inventories)); err != nil {
		return VerdictImpact{}, err
	}
	return ev.result(), nil
}

// loadParallelism bounds the groups whose inputs load at once: each load is
// a handful of small queries, so a plan's cost over many groups is their
// latency, not the database's work.
const loadParallelism = 4

// compileAll compiles, for every group that exists now (a new group has no
// agents yet), what its agents get now and what they would get.
func (pi PolicyImpact) compileAll(ctx context.Context, current, candidate PolicyState) (map[domain.ID]*groupPolicies, error) {
	next := map[domain.ID]group.Group{}
	for _, g := range candidate.Groups {
		next[g.ID()] = g
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	slots := make(chan struct{}, loadParallelism)
	out := map[domain.ID]*groupPolicies{}
	for _, g := range current.Groups {
		ng, kept := next[g.ID()]
		if !kept {
			continue // pruned, which only a group without agents may be
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			in, err := pi.Inputs.Load(ctx, g.ID())
			if err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				return
			}
			gp := newGroupPolicies(ng, policy.Compile(in), policy.Compile(candidateInput(in, g.ID(), ng, current, candidate)))
			if !gp.touched.empty() {
				mu.Lock()
				out[g.ID()] = gp
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

// candidateInput is in (what the group is compiled from now) with the
// candidate's settings, assignments, blocklist and catalog blocks. The
// group's time-limited assignments (approvals, not policy) and the threat
// feeds' advisories stay as they are.
func candidateInput(in policy.CompileInput, id domain.ID, g group.Group, current, candidate PolicyState) policy.CompileInput {
	out := policy.CompileInput{GroupID: id, Settings: g.Settings(), Advisories: in.Advisories}
	permanent := map[extension.ExtensionID]bool{}
	for _, a := range current.Assignments {
		if a.GroupID == id {
			permanent[a.Entry.ExtensionID()] = true
		}
	}
	entries := map[extension.ExtensionID]extension.Entry{}
	for _, e := range candidate.Catalog {
		entries[e.ExtensionID()] = e
		if e.IsBlocked() {
			out.BlockedCatalog = append(out.BlockedCatalog, e)
		}
	}
	for _, a := range in.Assignments {
		if e, ok := entries[a.Entry.ExtensionID()]; ok && !permanent[a.Entry.ExtensionID()] {
			out.Assignments = append(out.Assignments, policy.Assignment{Entry: e, Required: a.Required})
		}
	}
	for _, a := range candidate.Assignments {
		if a.GroupID == id {
			out.Assignments = append(out.Assignments, policy.Assignment{Entry: a.Entry, Required: a.IsRequired})
		}
	}
	for _, e := range candidate.Blocklist {
		if e.IsActive() {
			out.Blocklist = append(out.Blocklist, e)
		}
	}
	return out
}

// touchedRules is what differs between a group's two policies.
type touchedRules struct {
	whole    bool // mode or enforcement: every item may judge differently
	patterns []blocklist.Pattern
	ids      map[extension.ExtensionID]bool // assigned, allowed or pinned differently
	required map[extension.ExtensionID]bool // required differently (required_missing may change)
}

func (t touchedRules) empty() bool {
	return !t.whole && len(t.patterns) == 0 && len(t.ids) == 0
}

func touchedBetween(a, b policy.Policy) touchedRules {
	t := touchedRules{whole: a.Mode != b.Mode || a.Enforcement != b.Enforcement,
		ids: map[extension.ExtensionID]bool{}, required: map[extension.ExtensionID]bool{}}
	rules := func(p policy.Policy) map[BlockKey]bool {
		out := map[BlockKey]bool{}
		for _, r := range p.Blocked {
			out[BlockKey{r.PatternType, r.Pattern}] = true
		}
		return out
	}
	ra, rb := rules(a), rules(b)
	for k := range ra {
		if !rb[k] {
			t.addPattern(k)
		}
	}
	for k := range rb {
		if !ra[k] {
			t.addPattern(k)
		}
	}
	diffByID(a.Required, b.Required, func(r policy.Requirement) extension.ExtensionID { return r.ExtensionID }, t.ids, t.required)
	diffByID(a.Allowed, b.Allowed, func(r policy.Allowance) extension.ExtensionID { return r.ExtensionID }, t.ids)
	return t
}

func (t *touchedRules) addPattern(k BlockKey) {
	if p, err := blocklist.RestorePattern(k.PatternType, k.Pattern); err == nil {
		t.patterns = append(t.patterns, p)
	}
}

// diffByID marks in every set the ids whose entry differs between a and b
// (present in one only, or different).
func diffByID[T comparable](a, b []T, id func(T) extension.ExtensionID, sets ...map[extension.ExtensionID]bool) {
	index := func(list []T) map[extension.ExtensionID]T {
		out := make(map[extension.ExtensionID]T, len(list))
		for _, x := range list {
			out[id(x)] = x
		}
		return out
	}
	ia, ib := index(a), index(b)
	mark := func(k extension.ExtensionID) {
		for _, s := range sets {
			s[k] = true
		}
	}
	for k, x := range ia {
		if y, ok := ib[k]; !ok || x != y {
			mark(k)
		}
	}
	for k := range ib {
		if _, ok := ia[k]; !ok {
			mark(k)
		}
	}
}

func (pi PolicyImpact) liveExceptions(ctx context.Context) (map[domain.ID][]policy.Exception, error) {
	out := map[domain.ID][]policy.Exception{}
	if pi.Exceptions == nil {
		return out, nil
	}
	live, err := pi.Exceptions.Live(ctx, pi.Clock.Now())
	for _, e := range live {
		out[e.AgentID] = append(out[e.AgentID], policy.Exception{ExtensionID: e.ExtensionID, Version: e.Version})
	}
	return out, err
}

// read loads the selected items of every touched group and the agents of
// groups whose required set changed (an agent lacking a new requirement has
// no item to select).
func (pi PolicyImpact) read(ctx context.Context, groups map[domain.ID]*groupPolicies, exceptions map[domain.ID][]policy.Exception) ([]AgentInventory, error) {
	excepted := exceptedIDs(exceptions)
	resolved, err := pi.resolve(ctx, groups, func(gp *groupPolicies) []blocklist.Pattern {
		if !gp.blocklistMode() {
			return nil
		}
		return gp.touched.patterns
	})
	if err != nil {
		return nil, err
	}
	var sels []GroupSelection
	var everyone []domain.ID
	for id, gp := range groups {
		if gp.selected = gp.selection(resolved, excepted); !gp.selected.empty() {
			sels = append(sels, gp.selected)
		}
		if gp.touched.whole || len(gp.touched.required) > 0 {
			everyone = append(everyone, id)
		}
	}
	var out []AgentInventory
	if len(sels) > 0 {
		if out, err = pi.Inventory.Selected(ctx, sels, nil); err != nil {
			return nil, err
		}
	}
	if len(everyone) > 0 {
		agents, err := pi.Inventory.GroupAgents(ctx, everyone)
		if err != nil {
			return nil, err
		}
		out = append(out, agents...)
	}
	return out, nil
}

// exceptedIDs are the extensions the agents' exceptions name.
func exceptedIDs(exceptions map[domain.ID][]policy.Exception) map[extension.ExtensionID]bool {
	out := map[extension.ExtensionID]bool{}
	for _, list := range exceptions {
		for _, e := range list {
			out[e.ExtensionID] = true
		}
	}
	return out
}

// resolve answers what each pattern patternsOf names for the groups
// selects (one listing of installed ids for all globs and regexes). The
// plan resolves the changed block patterns of blocklist-mode groups;
// allowlist groups match their patterns against their assigned ids
// instead.
func (pi PolicyImpact) resolve(ctx context.Context, groups map[domain.ID]*groupPolicies,
	patternsOf func(*groupPolicies) []blocklist.Pattern) (map[BlockKey]ImpactSelector, error) {
	var patterns []blocklist.Pattern
	seen := map[BlockKey]bool{}
	for _, gp := range groups {
		for _, p := range patternsOf(gp) {
			if k := (BlockKey{p.Type(), p.String()}); !seen[k] {
				seen[k] = true
				patterns = append(patterns, p)
			}
		}
	}
	return pi.Select.selectors(ctx, patterns)
}

// blocklistMode tells whether everything not blocked is allowed under both
// policies (a mode change makes the group whole instead).
func (gp *groupPolicies) blocklistMode() bool {
	return gp.current.Mode == group.ModeBlocklist && gp.candidate.Mode == group.ModeBlocklist
}

// selection is what the plan reads of the group: every item when its mode
// or enforcement changes; else the extensions whose assignment changes and
// what the changed block patterns select. In allowlist mode a block changes
// nothing for an extension the group does not assign (unapproved before,
// blocked after: non-compliant and uninstalled either way), so there the
// patterns select only the group's assigned extensions and those that
// agents' exceptions allow.
func (gp *groupPolicies) selection(resolved map[BlockKey]ImpactSelector, excepted map[extension.ExtensionID]bool) GroupSelection {
	sel := GroupSelection{GroupID: gp.group.ID(), Whole: gp.touched.whole}
	if sel.Whole {
		return sel
	}
	ids, publishers := map[string]bool{}, map[string]bool{}
	for x := range gp.touched.ids {
		ids[x.String()] = true
	}
	if gp.blocklistMode() {
		for _, p := range gp.touched.patterns {
			r := resolved[BlockKey{p.Type(), p.String()}]
			for _, x := range r.ExtensionIDs {
				ids[x] = true
			}
			for _, x := range r.Publishers {
				publishers[x] = true
			}
		}
	} else {
		for x := range gp.assigned(excepted) {
			if slices.ContainsFunc(gp.touched.patterns, func(p blocklist.Pattern) bool { return p.Matches(x) }) {
				ids[x.String()] = true
			}
		}
	}
	sel.ExtensionIDs, sel.Publishers = sortedKeys(ids), sortedKeys(publishers)
	return sel
}

// assigned is every extension the group's two policies require or allow,
// and those agents' exceptions allow.
func (gp *groupPolicies) assigned(excepted map[extension.ExtensionID]bool) map[extension.ExtensionID]bool {
	out := maps.Clone(excepted)
	for _, p := range []policy.Policy{gp.current, gp.candidate} {
		for _, r := range p.Required {
			out[r.ExtensionID] = true
		}
		for _, a := range p.Allowed {
			out[a.ExtensionID] = true
		}
	}
	return out
}

func sortedKeys(set map[string]bool) []string {
	return slices.Sorted(maps.Keys(set))
}
