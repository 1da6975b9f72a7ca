package application

import (
	"cmp"
	"slices"
	"sort"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// impactEvaluation tallies verdict changes per group as agents are judged.
type impactEvaluation struct {
	groups     map[domain.ID]*groupPolicies
	exceptions map[domain.ID][]policy.Exception
	tallies    map[domain.ID]*groupTally
	agentGroup map[domain.ID]domain.ID
	pending    map[domain.ID]selectedJudgement // agents whose compliance may flip
}

// selectedJudgement is what judging an agent's selected items found.
type selectedJudgement struct {
	before, after policy.Verdict
	items         []report.Item                  // the selected items
	present       map[extension.ExtensionID]bool // their ids
	etag          string                         // of the agent's current policy
}

type groupTally struct {
	impact     GroupVerdictImpact
	extensions map[extension.ExtensionID]*ExtensionVerdictImpact
	agents     map[domain.ID]*AgentVerdictChange
}

func newImpactEvaluation(groups map[domain.ID]*groupPolicies, exceptions map[domain.ID][]policy.Exception) *impactEvaluation {
	return &impactEvaluation{groups: groups, exceptions: exceptions, tallies: map[domain.ID]*groupTally{},
		agentGroup: map[domain.ID]domain.ID{}, pending: map[domain.ID]selectedJudgement{}}
}

// judgesOf is the agent's effective current and candidate policy, in
// lookup form.
func (ev *impactEvaluation) judgesOf(gp *groupPolicies, agentID domain.ID) (policy.Judge, policy.Judge) {
	if ex := ev.exceptions[agentID]; len(ex) > 0 {
		return gp.current.WithExceptions(ex).Judge(), gp.candidate.WithExceptions(ex).Judge()
	}
	return gp.currentJudge, gp.candidateJudge
}

// plainSelection tells whether the agent's selected items are judged from
// the group's memo of item outcomes: not for an agent whose exceptions make
// policies of its own.
func (ev *impactEvaluation) plainSelection(inv AgentInventory) bool {
	return len(ev.exceptions[inv.AgentID]) == 0
}

// selectedVerdicts judges the agent's selected items under both policies;
// changed is false when they judge alike item by item (unchanged) and it
// lacks the same changed requirements under both, and then the agent adds
// nothing to the impact.
func (ev *impactEvaluation) selectedVerdicts(gp *groupPolicies, inv AgentInventory) (before, after policy.Verdict, etag string, changed bool) {
	if ev.plainSelection(inv) {
		o := gp.outcomesOf(inv.Items)
		missing := gp.missing(inv.Items)
		if unchanged(o) && gp.missingAlike(missing) {
			return policy.Verdict{}, policy.Verdict{}, "", false
		}
		before, after = gp.outcomeVerdicts(inv.Items, o, missing)
		return before, after, gp.current.ETag, true
	}
	cur, cand := ev.judgesOf(gp, inv.AgentID)
	before = selectedVerdict(cur.Evaluate(inv.Items), gp.touched, inv.Items)
	after = selectedVerdict(cand.Evaluate(inv.Items), gp.touched, inv.Items)
	return before, after, cur.ETag(), true
}

// outcomeVerdicts is both sides' outcomeVerdict, each with its policy's
// enforcement.
func (gp *groupPolicies) outcomeVerdicts(items []report.Item, outcomes [][2]policy.Outcome, missing [2][]extension.ExtensionID) (before, after policy.Verdict) {
	return outcomeVerdict(items, outcomes, 0, missing[0], gp.current.Enforcement),
		outcomeVerdict(items, outcomes, 1, missing[1], gp.candidate.Enforcement)
}

// outcomeVerdict is the verdict side (0 current, 1 candidate) of the items'
// outcomes make, with the changed requirements the agent lacks (missing, by
// id): the violations by extension and kind, sorted as Evaluate sorts them,
// and the actions, uninstalls first, by extension. It leaves out what an
// impact does not count (details, editors) and the requirements that do
// not change, which judge the same under both policies.
func outcomeVerdict(items []report.Item, outcomes [][2]policy.Outcome, side int, missing []extension.ExtensionID, e group.Enforcement) policy.Verdict {
	var v policy.Verdict
	var uninstall, install []policy.Action
	for i, it := range items {
		o, id := outcomes[i][side], it.ExtensionID()
		if o.Kind != "" {
			v.Violations = append(v.Violations, policy.Violation{ExtensionID: id, Kind: o.Kind})
		}
		if o.Advisory {
			v.Violations = append(v.Violations, policy.Violation{ExtensionID: id, Kind: policy.KindAdvisory})
		}
		switch a := (policy.Action{Action: o.Action, ExtensionID: id}); o.Action {
		case policy.ActionUninstall:
			uninstall = append(uninstall, a)
		case policy.ActionInstall:
			install = append(install, a)
		}
	}
	for _, id := range missing {
		v.Violations = append(v.Violations, policy.Violation{ExtensionID: id, Kind: policy.KindRequiredMissing})
		if e == group.EnforcementEnforce {
			install = append(install, policy.Action{Action: policy.ActionInstall, ExtensionID: id})
		}
	}
	// An extension on several editors repeats its violation and action:
	// sorted, the repeats are neighbours (a scan per append made a
	// 50-item inventory quadratic).
	slices.SortFunc(v.Violations, func(a, b policy.Violation) int {
		return cmp.Or(cmp.Compare(a.ExtensionID, b.ExtensionID), cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)))
	})
	v.Violations = slices.CompactFunc(v.Violations, func(a, b policy.Violation) bool { return a.ExtensionID == b.ExtensionID && a.Kind == b.Kind })
	byID := func(a, b policy.Action) int { return cmp.Compare(a.ExtensionID, b.ExtensionID) }
	slices.SortFunc(uninstall, byID)
	slices.SortFunc(install, byID)
	v.Actions = append(slices.Compact(uninstall), slices.Compact(install)...)
	v.Compliant = len(v.Violations) == 0
	return v
}

// kindRank is the kind's place in policy.Kinds, the order violations sort in.
func kindRank(k policy.Kind) int { return slices.Index(policy.Kinds, k) }

// judgeSelected judges each agent's selected items under both policies:
// the actions that are new, and whether the selected items go from all fine
// to not (or back). Their other items judge the same under both policies,
// so only those agents can change compliance; it answers them.
func (ev *impactEvaluation) judgeSelected(inventories []AgentInventory) []domain.ID {
	for _, inv := range mergeInventories(inventories) {
		gp := ev.groups[inv.GroupID]
		if gp == nil {
			continue
		}
		before, after, etag, changed := ev.selectedVerdicts(gp, inv)
		if !changed {
			continue
		}
		ev.agentGroup[inv.AgentID] = inv.GroupID
		ev.tallyActions(inv, before, after)
		switch {
		case (len(before.Violations) == 0) == (len(after.Violations) == 0):
		case gp.touched.whole: // the whole inventory was selected: settled
			ev.flip(inv.GroupID, inv.AgentID, before, after)
		default:
			ev.pending[inv.AgentID] = selectedJudgement{before: before, after: after, items: inv.Items, present: idsOf(inv.Items), etag: etag}
		}
	}
	out := make([]domain.ID, 0, len(ev.pending))
	for id := range ev.pending {
		out = append(out, id)
	}
	slices.SortFunc(out, domain.ID.Compare)
	return out
}

// selectedVerdict drops what an evaluation of selected items only says
// about the extensions it did not select: a requirement is "missing" from a
// partial inventory unless its id was selected (it changed) or the whole
// inventory was read.
func selectedVerdict(v policy.Verdict, t touchedRules, items []report.Item) policy.Verdict {
	if t.whole {
		return v
	}
	present := idsOf(items)
	keep := func(id extension.ExtensionID) bool { return present[id] || t.required[id] }
	out := policy.Verdict{}
	for _, x := range v.Violations {
		if x.Kind != policy.KindRequiredMissing || keep(x.ExtensionID) {
			out.Violations = append(out.Violations, x)
		}
	}
	for _, a := range v.Actions {
		if a.Action != policy.ActionInstall || keep(a.ExtensionID) {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// tallyActions counts the uninstalls and required installs after orders
// that before does not.
func (ev *impactEvaluation) tallyActions(inv AgentInventory, before, after policy.Verdict) {
	for _, a := range after.Actions {
		if slices.ContainsFunc(before.Actions, func(b policy.Action) bool { return b.Action == a.Action && b.ExtensionID == a.ExtensionID }) {
			continue
		}
		t := ev.tally(inv.GroupID)
		ch := t.agent(inv.AgentID)
		x := t.extension(a.ExtensionID, kindOf(after, a.ExtensionID))
		if a.Action == policy.ActionUninstall {
			t.impact.Uninstalls++
			x.Uninstalls++
			ch.Uninstall = append(ch.Uninstall, a.ExtensionID)
		} else {
			t.impact.RequiredInstalls++
			x.Installs++
			ch.Install = append(ch.Install, a.ExtensionID)
		}
	}
}

// judgeStored settles the pending agents whose stored verdict was judged
// against the policy they have now: a stored violation of an extension
// that was not selected judges the same under both policies, and keeps the
// agent non-compliant under both; without one, the selected items decide.
// It answers the agents it could not settle (no stored verdict, another
// policy, or one that disagrees with the selected items).
func (ev *impactEvaluation) judgeStored(pending []domain.ID, stored map[domain.ID]StoredVerdict) []domain.ID {
	var rest []domain.ID
	for _, agentID := range pending {
		j, groupID := ev.pending[agentID], ev.agentGroup[agentID]
		sv, ok := stored[agentID]
		if !ok || sv.PolicyETag != j.etag {
			rest = append(rest, agentID)
			continue
		}
		required := ev.groups[groupID].touched.required
		otherBad := false
		for _, v := range sv.Violations {
			id := extension.ExtensionID(v.ExtensionID)
			if !j.present[id] && (policy.Kind(v.Kind) != policy.KindRequiredMissing || !required[id]) {
				otherBad = true
				break
			}
		}
		if !otherBad && sv.Compliant != (len(j.before.Violations) == 0) {
			rest = append(rest, agentID) // the stored verdict is not this inventory's
			continue
		}
		if !otherBad {
			ev.flip(groupID, agentID, j.before, j.after)
		}
	}
	return rest
}

// judgeRest judges, under both policies, the agents no stored verdict
// settled, on what restInventories read of them: their whole inventory, or
// in a blocklist-mode group their suspects besides the selected items
// judged already.
func (ev *impactEvaluation) judgeRest(agents []domain.ID, read []AgentInventory) {
	items := map[domain.ID][]report.Item{}
	for _, inv := range mergeInventories(read) {
		items[inv.AgentID] = inv.Items
	}
	for _, agentID := range agents {
		groupID := ev.agentGroup[agentID]
		gp, all := ev.groups[groupID], items[agentID]
		if gp.blocklistMode() {
			all = withSelected(ev.pending[agentID], all)
		}
		before, after := ev.verdicts(gp, agentID, all)
		ev.flip(groupID, agentID, before, after)
	}
}

// withSelected is the agent's selected items and those of more that the
// selection did not hold.
func withSelected(j selectedJudgement, more []report.Item) []report.Item {
	out := slices.Clip(j.items)
	for _, it := range more {
		if !j.present[it.ExtensionID()] {
			out = append(out, it)
		}
	}
	return out
}

// verdicts judges items, all that decide the agent's compliance, under
// both policies: from the group's memo of item outcomes and every
// requirement they lack, or for an agent with exceptions by its own
// policies.
func (ev *impactEvaluation) verdicts(gp *groupPolicies, agentID domain.ID, items []report.Item) (before, after policy.Verdict) {
	if len(ev.exceptions[agentID]) == 0 {
		return gp.outcomeVerdicts(items, gp.outcomesOf(items), gp.missingOf(items, true))
	}
	cur, cand := ev.judgesOf(gp, agentID)
	return cur.Evaluate(items), cand.Evaluate(items)
}

// flip counts an agent whose compliance differs between before and after,
// with the violations that appear (or go) as the reason, by extension.
func (ev *impactEvaluation) flip(groupID, agentID domain.ID, before, after policy.Verdict) {
	wasCompliant, isCompliant := len(before.Violations) == 0, len(after.Violations) == 0
	if wasCompliant == isCompliant {
		return
	}
	t := ev.tally(groupID)
	ch := t.agent(agentID)
	if isCompliant {
		t.impact.TurnCompliant++
		ch.Becomes = "compliant"
		for _, v := range newViolations(after, before) {
			t.extension(v.ExtensionID, v.Kind).Compliant++
		}
		return
	}
	t.impact.TurnNonCompliant++
	ch.Becomes = "non_compliant"
	for _, v := range newViolations(before, after) {
		t.extension(v.ExtensionID, v.Kind).NonCompliant++
	}
}

func idsOf(items []report.Item) map[extension.ExtensionID]bool {
	out := make(map[extension.ExtensionID]bool, len(items))
	for _, it := range items {
		out[it.ExtensionID()] = true
	}
	return out
}

// newViolations are after's violations that before does not have (by
// extension and kind). A verdict has a handful: a scan beats a map.
func newViolations(before, after policy.Verdict) []policy.Violation {
	var out []policy.Violation
	for _, v := range after.Violations {
		if !slices.ContainsFunc(before.Violations, func(b policy.Violation) bool { return b.ExtensionID == v.ExtensionID && b.Kind == v.Kind }) {
			out = append(out, v)
		}
	}
	return out
}

func kindOf(v policy.Verdict, id extension.ExtensionID) policy.Kind {
	for _, x := range v.Violations {
		if x.ExtensionID == id {
			return x.Kind
		}
	}
	return ""
}

// mergeInventories joins the rows of one agent (a selected read and a
// group's agent list may both name it).
func mergeInventories(list []AgentInventory) []AgentInventory {
	at := map[domain.ID]int{}
	var out []AgentInventory
	for _, inv := range list {
		if i, ok := at[inv.AgentID]; ok {
			out[i].Items = append(out[i].Items, inv.Items...)
			continue
		}
		at[inv.AgentID] = len(out)
		out = append(out, inv)
	}
	return out
}

func (ev *impactEvaluation) tally(groupID domain.ID) *groupTally {
	t, ok := ev.tallies[groupID]
	if !ok {
		gp := ev.groups[groupID]
		t = &groupTally{extensions: map[extension.ExtensionID]*ExtensionVerdictImpact{}, agents: map[domain.ID]*AgentVerdictChange{},
			impact: GroupVerdictImpact{GroupID: groupID, GroupName: gp.group.Name(), Mode: gp.candidate.Mode, Enforcement: gp.candidate.Enforcement}}
		ev.tallies[groupID] = t
	}
	return t
}

func (t *groupTally) agent(id domain.ID) *AgentVerdictChange {
	ch, ok := t.agents[id]
	if !ok {
		ch = &AgentVerdictChange{AgentID: id}
		t.agents[id] = ch
	}
	return ch
}

// extension is id's tally, its Kind the most severe of the kinds counted
// for it: agents are judged in no set order (missing on one, at the wrong
// version on another), and the first one's must not decide it.
func (t *groupTally) extension(id extension.ExtensionID, kind policy.Kind) *ExtensionVerdictImpact {
	x, ok := t.extensions[id]
	if !ok {
		x = &ExtensionVerdictImpact{ExtensionID: id, Kind: kind}
		t.extensions[id] = x
	}
	if kindRank(kind) < kindRank(x.Kind) {
		x.Kind = kind
	}
	return x
}

func (ev *impactEvaluation) result() VerdictImpact {
	out := VerdictImpact{Groups: []GroupVerdictImpact{}}
	for _, t := range ev.tallies {
		g := t.impact
		g.Extensions, g.Sample = []ExtensionVerdictImpact{}, []AgentVerdictChange{}
		for _, x := range t.extensions {
			g.Extensions = append(g.Extensions, *x)
		}
		sort.Slice(g.Extensions, func(i, j int) bool { return g.Extensions[i].ExtensionID < g.Extensions[j].ExtensionID })
		for _, ch := range t.agents {
			g.Sample = append(g.Sample, *ch)
		}
		slices.SortFunc(g.Sample, func(a, b AgentVerdictChange) int { return a.AgentID.Compare(b.AgentID) })
		if len(g.Sample) > ImpactSample {
			g.Sample = g.Sample[:ImpactSample]
		}
		out.TurnNonCompliant += g.TurnNonCompliant
		out.TurnCompliant += g.TurnCompliant
		out.Uninstalls += g.Uninstalls
		out.RequiredInstalls += g.RequiredInstalls
		out.Groups = append(out.Groups, g)
	}
	sort.Slice(out.Groups, func(i, j int) bool { return out.Groups[i].GroupName < out.Groups[j].GroupName })
	return out
}
