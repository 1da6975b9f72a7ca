package application

import (
	"context"
	"maps"
	"slices"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
)

// settle decides the agents whose compliance may flip: from their stored
// verdict where it was judged against the policy they have now (their
// other items' verdict is in it), else from what decides their compliance
// (restInventories).
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
	inventories, err := pi.restInventories(ctx, ev, rest)
	if err != nil {
		return err
	}
	ev.judgeRest(rest, inventories)
	return nil
}

// restInventories reads, of agents no stored verdict settles (right after
// a policy change, before they report, and agents that went silent), the
// items that decide their compliance under both policies. In a
// blocklist-mode group those are its suspects, of which the plan read the
// selected ones already: the rest are few per agent, found through the
// extension and publisher indexes (reading the whole inventories of 50,000
// agents, 2.5 million rows, made such a plan take 10 s at 100,000 agents).
// In allowlist mode every unassigned item is at fault, so the whole
// inventory is read.
func (pi PolicyImpact) restInventories(ctx context.Context, ev *impactEvaluation, rest []domain.ID) ([]AgentInventory, error) {
	var narrow, whole []domain.ID
	groups := map[domain.ID]*groupPolicies{}
	for _, agentID := range rest {
		gp := ev.groups[ev.agentGroup[agentID]]
		if !gp.blocklistMode() {
			whole = append(whole, agentID)
			continue
		}
		narrow = append(narrow, agentID)
		groups[gp.group.ID()] = gp
	}
	var out []AgentInventory
	if len(narrow) > 0 {
		sels, err := pi.suspects(ctx, groups, ev.exceptions)
		if err != nil {
			return nil, err
		}
		if len(sels) > 0 {
			if out, err = pi.Inventory.Selected(ctx, sels, narrow); err != nil {
				return nil, err
			}
		}
	}
	if len(whole) > 0 {
		full, err := pi.Inventory.Inventories(ctx, whole)
		if err != nil {
			return nil, err
		}
		out = append(out, full...)
	}
	return out, nil
}

// suspects is, for each blocklist-mode group, every item either policy may
// find at fault: what its block rules and advisories select, the ids it
// requires or allows (a pin makes other versions a mismatch), and any
// agent's exceptions name (an exception with a version pins too). An item
// outside it is fine under both policies, so the verdicts of an agent's
// suspects are its verdicts, requirements included (a required id is a
// suspect: an agent lacks it exactly when no suspect item has it).
func (pi PolicyImpact) suspects(ctx context.Context, groups map[domain.ID]*groupPolicies, exceptions map[domain.ID][]policy.Exception) ([]GroupSelection, error) {
	excepted := exceptedIDs(exceptions)
	resolved, err := pi.resolve(ctx, groups, (*groupPolicies).rulePatterns)
	if err != nil {
		return nil, err
	}
	var installed map[string]bool // listed once, when some group has many ids
	sels := make([]GroupSelection, 0, len(groups))
	for _, gp := range groups {
		ids, publishers := map[string]bool{}, map[string]bool{}
		for x := range gp.assigned(excepted) {
			ids[x.String()] = true
		}
		for _, p := range gp.rulePatterns() {
			r := resolved[BlockKey{p.Type(), p.String()}]
			for _, x := range r.ExtensionIDs {
				ids[x] = true
			}
			for _, x := range r.Publishers {
				publishers[x] = true
			}
		}
		if len(ids) > manySuspectIDs && installed == nil {
			if installed, err = pi.installedIDs(ctx); err != nil {
				return nil, err
			}
		}
		if installed != nil {
			maps.DeleteFunc(ids, func(id string, _ bool) bool { return !installed[id] })
		}
		if sel := gp.besidesSelected(ids, publishers); !sel.empty() {
			sels = append(sels, sel)
		}
	}
	return sels, nil
}

// besidesSelected is the group's selection of ids and publishers less
// what the plan read of it already.
func (gp *groupPolicies) besidesSelected(ids, publishers map[string]bool) GroupSelection {
	for _, x := range gp.selected.Publishers {
		delete(publishers, x)
	}
	for _, x := range gp.selected.ExtensionIDs {
		delete(ids, x)
	}
	for x := range ids {
		if slices.Contains(gp.selected.Publishers, extension.ExtensionID(x).Publisher()) {
			delete(ids, x)
		}
	}
	return GroupSelection{GroupID: gp.group.ID(), ExtensionIDs: sortedKeys(ids), Publishers: sortedKeys(publishers)}
}

// manySuspectIDs is the count of a group's suspect ids past which they are
// kept to the installed ones: listing those reads the whole extension
// index (~0.4 s at 100,000 agents, cached 10 s), more than a few hundred
// ids cost the suspects' read.
const manySuspectIDs = 256

// installedIDs are the ids installed anywhere (the installation reader's
// listing, as globs resolve, cached 10 s: an id installed for the first
// time since is missed, as by a glob). A threat feed names thousands of ids no agent
// has; left in the suspects, they made PostgreSQL estimate millions of rows
// by the extension index and walk every pending agent's whole inventory
// instead: 0.8 s of a 2.7 s plan with a 2,000-advisory feed at 100,000
// agents.
func (pi PolicyImpact) installedIDs(ctx context.Context) (map[string]bool, error) {
	list, err := pi.Select.Installations.ExtensionIDs(ctx)
	out := make(map[string]bool, len(list))
	for _, id := range list {
		out[id] = true
	}
	return out, err
}

// rulePatterns are the patterns of both policies' block rules and
// advisories (alerts included: an alert is a violation too). The changed
// ones are among them.
func (gp *groupPolicies) rulePatterns() []blocklist.Pattern {
	var out []blocklist.Pattern
	add := func(t blocklist.PatternType, pattern string) {
		if p, err := blocklist.RestorePattern(t, pattern); err == nil {
			out = append(out, p)
		}
	}
	for _, p := range []policy.Policy{gp.current, gp.candidate} {
		for _, r := range p.Blocked {
			add(r.PatternType, r.Pattern)
		}
		for _, r := range p.Advisories {
			add(r.PatternType, r.Pattern)
		}
	}
	return out
}
