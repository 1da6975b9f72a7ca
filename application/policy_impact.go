package application

import (
	"cmp"
	"context"
	"sync"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
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
// agents it turns non-compliant (a new violation of Kind) or compliant (its
// violation of Kind resolved), and the actions it would order.
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
// changes; only agents whose judged items turn from all fine to not (or
// back) have their whole inventory evaluated, since their other items judge
// the same under both policies.
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
	inventories, err := pi.read(ctx, groups)
	if err != nil {
		return VerdictImpact{}, err
	}
	ev := newImpactEvaluation(groups, exceptions)
	if err := pi.settle(ctx, ev, ev.judgeSelected(inventories)); err != nil {
		return VerdictImpact{}, err
	}
	return ev.result(), nil
}

// settle decides the agents whose compliance may flip: from their stored
// verdict where it was judged against the policy they have now (their
// other items' verdict is in it), else from their whole inventory.
func (pi PolicyImpact) settle(ctx context.Context, ev *impactEvaluation, pending []domain.ID) error {
	if len(pending) == 0 {
		return nil
	}
	stored, err := pi.Inventory.StoredVerdicts(ctx, pending)
	if err != nil {
		return err
	}
	rest := ev.judgeStored(pending, stored)
	if len(rest) == 0 {
		return nil
	}
	full, err := pi.Inventory.Inventories(ctx, rest)
	if err != nil {
		return err
	}
	ev.judgeWhole(rest, full)
	return nil
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
			gp := &groupPolicies{group: ng, current: policy.Compile(in), candidate: policy.Compile(candidateInput(in, g.ID(), ng, current, candidate))}
			gp.touched = touchedBetween(gp.current, gp.candidate)
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
func (pi PolicyImpact) read(ctx context.Context, groups map[domain.ID]*groupPolicies) ([]AgentInventory, error) {
	var patterns []blocklist.Pattern
	var whole, everyone []domain.ID
	ids := map[extension.ExtensionID]bool{}
	for id, gp := range groups {
		patterns = append(patterns, gp.touched.patterns...)
		for x := range gp.touched.ids {
			ids[x] = true
		}
		if gp.touched.whole {
			whole = append(whole, id)
		}
		if gp.touched.whole || len(gp.touched.required) > 0 {
			everyone = append(everyone, id)
		}
	}
	sel, err := pi.Select.selector(ctx, patterns)
	if err != nil {
		return nil, err
	}
	for x := range ids {
		sel.ExtensionIDs = append(sel.ExtensionIDs, x.String())
	}
	var out []AgentInventory
	if !sel.empty() || len(whole) > 0 {
		if out, err = pi.Inventory.Selected(ctx, sel, whole); err != nil {
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
