package application_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// TestPolicyImpactAgreesWithWholeInventories: the plan's verdict impact
// reads only the items a change can touch, settles agents from their stored
// verdicts and skips agents whose items judge alike under both policies.
// For random fleets and policy changes (modes, enforcement, blocks of every
// pattern type, pins, digests, required and optional assignments, threat
// feed advisories, agents' exceptions) it must count exactly what judging
// every agent's whole inventory under both policies counts: flips, new
// uninstalls and installs, by group and by extension, and the sampled
// agents. Each world is checked with no stored verdicts, with the true ones,
// and with some of another policy.
func TestPolicyImpactAgreesWithWholeInventories(t *testing.T) {
	for seed := range uint64(oracleSeeds) {
		w := newImpactWorld(rand.New(rand.NewPCG(seed, seed*7919+1)))
		want := w.oracle()
		for _, stored := range []string{"none", "true", "some-stale"} {
			pi := application.PolicyImpact{Inputs: w, Inventory: w.withStored(stored), Exceptions: w,
				Select: application.BlockImpact{Installations: w}, Clock: application.SystemClock{}}
			got, err := pi.Of(context.Background(), w.current, w.candidate)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if g := summarizeImpact(got); !reflect.DeepEqual(g, want) {
				t.Fatalf("seed %d, stored verdicts %s:\n got %v\nwant %v\nworld: %s", seed, stored, g, want, w)
			}
		}
	}
}

// TestPolicyImpactAgreesUnderALargeFeed: with a threat feed naming more ids
// than manySuspectIDs (ids no agent has), a group's suspects are kept to the
// ids installed anywhere; the impact must still count what judging whole
// inventories counts.
func TestPolicyImpactAgreesUnderALargeFeed(t *testing.T) {
	for seed := range uint64(40) { // each world judges 300 more rules: ~2 s
		w := newImpactWorld(rand.New(rand.NewPCG(seed, seed*7919+1)))
		for i := range 300 {
			w.advisories = append(w.advisories, policy.AdvisoryRule{Feed: "f", PatternType: blocklist.PatternExact,
				Pattern: fmt.Sprintf("feed.x%03d", i), Block: i%2 == 0})
		}
		want := w.oracle()
		for _, stored := range []string{"none", "some-stale"} {
			pi := application.PolicyImpact{Inputs: w, Inventory: w.withStored(stored), Exceptions: w,
				Select: application.BlockImpact{Installations: w}, Clock: application.SystemClock{}}
			got, err := pi.Of(context.Background(), w.current, w.candidate)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if g := summarizeImpact(got); !reflect.DeepEqual(g, want) {
				t.Fatalf("seed %d, stored verdicts %s:\n got %v\nwant %v\nworld: %s", seed, stored, g, want, w)
			}
		}
	}
}

// oracleSeeds is how many worlds the test checks (under a second).
const oracleSeeds = 400

// impactLine is what the test compares of one group's impact.
type impactLine struct {
	TurnNonCompliant, TurnCompliant, Uninstalls, Installs int
	Extensions                                            string // id:kind:new violations/resolved/uninstalls/installs, sorted
	Agents                                                string // id:becomes:uninstall:install of the sampled agents
}

func summarizeImpact(v application.VerdictImpact) map[string]impactLine {
	out := map[string]impactLine{}
	for _, g := range v.Groups {
		var exts, agents []string
		for _, x := range g.Extensions {
			exts = append(exts, fmt.Sprintf("%s:%s:%d/%d/%d/%d", x.ExtensionID, x.Kind, x.NonCompliant, x.Compliant, x.Uninstalls, x.Installs))
		}
		for _, a := range g.Sample {
			agents = append(agents, agentLine(a.AgentID, a.Becomes, a.Uninstall, a.Install))
		}
		out[g.GroupName] = impactLine{g.TurnNonCompliant, g.TurnCompliant, g.Uninstalls, g.RequiredInstalls,
			strings.Join(exts, " "), strings.Join(agents, " ")}
	}
	return out
}

func agentLine(id domain.ID, becomes string, uninstall, install []extension.ExtensionID) string {
	ids := func(l []extension.ExtensionID) string {
		s := make([]string, len(l))
		for i, x := range l {
			s[i] = x.String()
		}
		return strings.Join(s, ",") // in the order of the candidate's actions

	}
	return id.String() + ":" + becomes + ":" + ids(uninstall) + ":" + ids(install)
}

// oracle judges every agent's whole inventory under the current and the
// candidate compiled policy (with its exceptions) and tallies the changes.
func (w *impactWorld) oracle() map[string]impactLine {
	type extTally struct {
		kind                                          policy.Kind // the most severe behind the counts
		nonCompliant, compliant, uninstalls, installs int
	}
	out := map[string]impactLine{}
	for _, g := range w.current.Groups {
		cur, cand := policy.Compile(w.input(w.current, g.ID())), policy.Compile(w.input(w.candidate, g.ID()))
		var line impactLine
		exts := map[extension.ExtensionID]*extTally{}
		ext := func(id extension.ExtensionID, kind policy.Kind) *extTally {
			x := exts[id]
			if x == nil {
				x = &extTally{kind: kind}
				exts[id] = x
			}
			if slices.Index(policy.Kinds, kind) < slices.Index(policy.Kinds, x.kind) {
				x.kind = kind
			}
			return x
		}
		var agents []string
		for _, agentID := range w.agentsOf(g.ID()) {
			c, n := cur, cand
			if ex := w.exceptionsOf(agentID); len(ex) > 0 {
				c, n = cur.WithExceptions(ex), cand.WithExceptions(ex)
			}
			before, after := c.Evaluate(w.items[agentID]), n.Evaluate(w.items[agentID])
			becomes := ""
			switch {
			case before.Compliant && !after.Compliant:
				becomes, line.TurnNonCompliant = "non_compliant", line.TurnNonCompliant+1
				for _, v := range newOnes(before.Violations, after.Violations) {
					ext(v.ExtensionID, v.Kind).nonCompliant++
				}
			case !before.Compliant && after.Compliant:
				becomes, line.TurnCompliant = "compliant", line.TurnCompliant+1
				for _, v := range newOnes(after.Violations, before.Violations) {
					ext(v.ExtensionID, v.Kind).compliant++
				}
			}
			var uninstall, install []extension.ExtensionID
			for _, a := range after.Actions {
				if slices.ContainsFunc(before.Actions, func(b policy.Action) bool { return b.Action == a.Action && b.ExtensionID == a.ExtensionID }) {
					continue
				}
				// The action's reason: the extension's most severe violation.
				kind := after.Violations[slices.IndexFunc(after.Violations, func(v policy.Violation) bool { return v.ExtensionID == a.ExtensionID })].Kind
				if a.Action == policy.ActionUninstall {
					line.Uninstalls++
					ext(a.ExtensionID, kind).uninstalls++
					uninstall = append(uninstall, a.ExtensionID)
				} else {
					line.Installs++
					ext(a.ExtensionID, kind).installs++
					install = append(install, a.ExtensionID)
				}
			}
			if becomes != "" || len(uninstall)+len(install) > 0 {
				agents = append(agents, agentLine(agentID, becomes, uninstall, install))
			}
		}
		if len(agents) == 0 {
			continue
		}
		slices.Sort(agents) // by id (each line starts with it): the sample is the first agents by id
		line.Agents = strings.Join(agents[:min(len(agents), application.ImpactSample)], " ")
		var lines []string
		for id, x := range exts {
			lines = append(lines, fmt.Sprintf("%s:%s:%d/%d/%d/%d", id, x.kind, x.nonCompliant, x.compliant, x.uninstalls, x.installs))
		}
		slices.Sort(lines)
		line.Extensions = strings.Join(lines, " ")
		out[g.Name()] = line
	}
	return out
}

// newOnes are after's violations (by extension and kind) that before does
// not have.
func newOnes(before, after []policy.Violation) []policy.Violation {
	var out []policy.Violation
	for _, v := range after {
		if !slices.ContainsFunc(before, func(b policy.Violation) bool { return b.ExtensionID == v.ExtensionID && b.Kind == v.Kind }) {
			out = append(out, v)
		}
	}
	return out
}

// impactWorld is a random fleet with a current and a candidate policy
// state. It is also every port the impact reads.
type impactWorld struct {
	current, candidate application.PolicyState
	temporary          []temporaryAssignment // approvals' time-limited assignments, in neither state
	agents             []agentOf
	items              map[domain.ID][]report.Item
	exceptions         []application.AgentException
	advisories         []policy.AdvisoryRule
	stored             map[domain.ID]application.StoredVerdict
}

type agentOf struct{ id, group domain.ID }

// temporaryAssignment is an approval's time-limited assignment of a
// catalog entry to a group: the policy file neither shows nor changes it,
// but it assigns the entry as the catalog has it, while the entry exists.
type temporaryAssignment struct {
	group domain.ID
	id    extension.ExtensionID
}

var (
	oracleIDs      = []string{"p0.a", "p0.b", "p0.c", "p1.a", "p1.b", "p1.c", "p2.a", "p2.b"}
	oracleVersions = []string{"1.0.0", "1.1.0", "2.0.0"}
	oracleDigests  = []string{"", strings.Repeat("a", 64), strings.Repeat("b", 64)}
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

func newImpactWorld(r *rand.Rand) *impactWorld {
	w := &impactWorld{items: map[domain.ID][]report.Item{}}
	for i := range 4 { // g3 has no agents: a candidate may prune it
		w.current.Groups = append(w.current.Groups, group.RehydrateGroup(group.GroupParams{ID: domain.NewID(), Name: fmt.Sprintf("g%d", i), Settings: randomSettings(r)}))
	}
	for _, id := range oracleIDs {
		if r.IntN(2) == 0 {
			w.current.Catalog = append(w.current.Catalog, randomEntry(r, id))
		}
	}
	for _, g := range w.current.Groups {
		for _, e := range w.current.Catalog {
			if r.IntN(3) == 0 {
				w.current.Assignments = append(w.current.Assignments, application.Assignment{ID: domain.NewID(), GroupID: g.ID(), Entry: e, IsRequired: r.IntN(2) == 0})
			}
		}
	}
	for range r.IntN(3) {
		w.current.Blocklist = append(w.current.Blocklist, randomBlock(r))
	}
	for range r.IntN(3) {
		w.advisories = append(w.advisories, randomAdvisory(r))
	}
	for _, g := range w.current.Groups {
		for _, e := range w.current.Catalog {
			if r.IntN(6) == 0 && !slices.ContainsFunc(w.current.Assignments, func(a application.Assignment) bool {
				return a.GroupID == g.ID() && a.Entry.ExtensionID() == e.ExtensionID()
			}) {
				w.temporary = append(w.temporary, temporaryAssignment{g.ID(), e.ExtensionID()})
			}
		}
	}
	w.candidate = mutate(r, w.current)
	// In half the worlds no agent has one of the ids, which rules,
	// assignments and exceptions may still name.
	absent := ""
	if r.IntN(2) == 0 {
		absent = pick(r, oracleIDs)
	}
	for _, g := range w.current.Groups[:3] {
		for range 12 {
			a := agentOf{domain.NewID(), g.ID()}
			w.agents = append(w.agents, a)
			w.items[a.id] = randomInventory(r, absent)
			for range max(0, r.IntN(10)-7) { // one agent in ten has one, one in ten two
				w.exceptions = append(w.exceptions, application.AgentException{ID: domain.NewID(), AgentID: a.id,
					ExtensionID: extension.ExtensionID(pick(r, oracleIDs)), Version: pick(r, append([]string{""}, oracleVersions...))})
			}
		}
	}
	return w
}

func randomSettings(r *rand.Rand) group.Settings {
	s, err := group.NewSettings(pick(r, []group.Mode{group.ModeAllowlist, group.ModeBlocklist}),
		pick(r, []group.Enforcement{group.EnforcementAudit, group.EnforcementEnforce}), 0, 0, 0)
	if err != nil {
		panic(err)
	}
	return s
}

func randomEntry(r *rand.Rand, id string) extension.Entry {
	p := extension.EntryParams{ID: domain.NewID(), ExtensionID: id, Publisher: id[:2], IsBlocked: r.IntN(10) == 0}
	if r.IntN(2) == 0 {
		p.PinnedVersion, p.ContentSHA256 = pick(r, oracleVersions), pick(r, oracleDigests)
	}
	return extension.RehydrateEntry(p)
}

// oraclePattern is a pattern of kind over the world's ids: regexes are
// case-insensitive and may match ids of several publishers.
func oraclePattern(r *rand.Rand, kind string) string {
	return map[string]string{"exact": pick(r, oracleIDs), "publisher": pick(r, []string{"p0", "p1", "p2"}),
		"glob": pick(r, []string{"p1.*", "*.b", "p?.c"}), "regex": pick(r, []string{`p[02]\..*`, `P1\.(A|C)`, `.*\.b`})}[kind]
}

func randomAdvisory(r *rand.Rand) policy.AdvisoryRule {
	kind := pick(r, []string{"exact", "exact", "publisher", "glob", "regex"})
	return policy.AdvisoryRule{Feed: "f", PatternType: blocklist.PatternType(kind), Pattern: oraclePattern(r, kind),
		Versions: slices.Compact([]string{pick(r, oracleVersions)})[:r.IntN(2)], Block: r.IntN(2) == 0}
}

func randomBlock(r *rand.Rand) blocklist.Entry {
	active := r.IntN(4) > 0
	kind := pick(r, []string{"exact", "publisher", "glob", "regex"})
	pattern := oraclePattern(r, kind)
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: kind, Pattern: pattern, Reason: "test", IsActive: &active})
	if err != nil {
		panic(err)
	}
	return e
}

// mutate is a candidate: the same groups, some with other settings, and
// catalog, assignments and blocklist each changed a little.
func mutate(r *rand.Rand, s application.PolicyState) application.PolicyState {
	out := application.PolicyState{}
	for i, g := range s.Groups {
		if i == 3 && r.IntN(2) == 0 {
			continue // pruned (it has no agents), with its assignments below
		}
		if r.IntN(3) == 0 {
			g = group.RehydrateGroup(group.GroupParams{ID: g.ID(), Name: g.Name(), Settings: randomSettings(r)})
		}
		out.Groups = append(out.Groups, g)
	}
	changed := map[extension.ExtensionID]extension.Entry{}
	for _, id := range oracleIDs {
		i := slices.IndexFunc(s.Catalog, func(e extension.Entry) bool { return e.ExtensionID().String() == id })
		switch {
		case i < 0 && r.IntN(6) == 0: // a new entry
			out.Catalog = append(out.Catalog, randomEntry(r, id))
		case i < 0:
		case r.IntN(8) == 0: // pruned, with its assignments (permanent and time-limited)
			changed[s.Catalog[i].ExtensionID()] = extension.Entry{}
		case r.IntN(4) == 0:
			e := randomEntry(r, id)
			changed[e.ExtensionID()] = e
			out.Catalog = append(out.Catalog, e)
		default:
			out.Catalog = append(out.Catalog, s.Catalog[i])
		}
	}
	kept := func(groupID domain.ID) bool {
		return slices.ContainsFunc(out.Groups, func(g group.Group) bool { return g.ID() == groupID })
	}
	for _, a := range s.Assignments {
		if !kept(a.GroupID) {
			continue
		}
		switch r.IntN(5) {
		case 0:
			continue // removed
		case 1:
			a.IsRequired = !a.IsRequired
		}
		if e, ok := changed[a.Entry.ExtensionID()]; ok {
			if e.ExtensionID() == "" {
				continue
			}
			a.Entry = e
		}
		out.Assignments = append(out.Assignments, a)
	}
	if len(out.Catalog) > 0 && r.IntN(2) == 0 {
		out.Assignments = append(out.Assignments, application.Assignment{ID: domain.NewID(), GroupID: pick(r, out.Groups).ID(),
			Entry: pick(r, out.Catalog), IsRequired: r.IntN(2) == 0})
	}
	for _, b := range s.Blocklist {
		if r.IntN(4) > 0 {
			out.Blocklist = append(out.Blocklist, b)
		}
	}
	for range r.IntN(3) {
		out.Blocklist = append(out.Blocklist, randomBlock(r))
	}
	return out
}

func randomInventory(r *rand.Rand, absent string) []report.Item {
	var out []report.Item
	for _, id := range oracleIDs {
		if r.IntN(3) != 0 || id == absent {
			continue
		}
		for _, ed := range []string{"vscode", "cursor"}[:1+r.IntN(2)] {
			out = append(out, report.RehydrateItem(report.ItemParams{ExtensionID: id, Installed: true, Editor: ed,
				Version: pick(r, oracleVersions), SHA256: pick(r, oracleDigests)}))
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] }) // as a report lists them
	return out
}

// input is what a group is compiled from in state s: its assignments and
// the approvals' time-limited ones, with s's catalog entries.
func (w *impactWorld) input(s application.PolicyState, groupID domain.ID) policy.CompileInput {
	in := policy.CompileInput{GroupID: groupID, Advisories: w.advisories}
	for _, g := range s.Groups {
		if g.ID() == groupID {
			in.Settings = g.Settings()
		}
	}
	permanent := map[extension.ExtensionID]bool{}
	for _, a := range s.Assignments {
		if a.GroupID == groupID {
			permanent[a.Entry.ExtensionID()] = true
			in.Assignments = append(in.Assignments, policy.Assignment{Entry: a.Entry, Required: a.IsRequired})
		}
	}
	for _, t := range w.temporary {
		i := slices.IndexFunc(s.Catalog, func(e extension.Entry) bool { return e.ExtensionID() == t.id })
		if t.group == groupID && i >= 0 && !permanent[t.id] { // one row per group and entry, which the file's assignment sets
			in.Assignments = append(in.Assignments, policy.Assignment{Entry: s.Catalog[i]})
		}
	}
	for _, e := range s.Catalog {
		if e.IsBlocked() {
			in.BlockedCatalog = append(in.BlockedCatalog, e)
		}
	}
	for _, b := range s.Blocklist {
		if b.IsActive() {
			in.Blocklist = append(in.Blocklist, b)
		}
	}
	return in
}

func (w *impactWorld) agentsOf(groupID domain.ID) []domain.ID {
	var out []domain.ID
	for _, a := range w.agents {
		if a.group == groupID {
			out = append(out, a.id)
		}
	}
	return out
}

func (w *impactWorld) exceptionsOf(agentID domain.ID) []policy.Exception {
	var out []policy.Exception
	for _, e := range w.exceptions {
		if e.AgentID == agentID {
			out = append(out, policy.Exception{ExtensionID: e.ExtensionID, Version: e.Version})
		}
	}
	return out
}

// withStored is the world with the agents' stored verdicts: none, the true
// ones (judged under the current policy, as a report leaves them), or the
// true ones with every third judged under another policy.
func (w *impactWorld) withStored(kind string) *impactWorld {
	c := *w
	c.stored = map[domain.ID]application.StoredVerdict{}
	if kind == "none" {
		return &c
	}
	for i, a := range w.agents {
		p := policy.Compile(w.input(w.current, a.group))
		if ex := w.exceptionsOf(a.id); len(ex) > 0 {
			p = p.WithExceptions(ex)
		}
		v := p.Evaluate(w.items[a.id])
		sv := application.StoredVerdict{PolicyETag: p.ETag, Compliant: v.Compliant}
		if kind == "some-stale" && i%3 == 0 {
			sv.PolicyETag = `"p-older"`
		}
		for _, x := range v.Violations {
			sv.Violations = append(sv.Violations, application.VerdictViolation{ExtensionID: x.ExtensionID.String(), Kind: string(x.Kind)})
		}
		c.stored[a.id] = sv
	}
	return &c
}

func (w *impactWorld) String() string {
	var b strings.Builder
	for _, s := range []application.PolicyState{w.current, w.candidate} {
		for _, g := range s.Groups {
			fmt.Fprintf(&b, "[%s %s/%s] ", g.Name(), g.Settings().Mode(), g.Settings().Enforcement())
		}
		for _, e := range s.Catalog {
			fmt.Fprintf(&b, "cat %s@%s/%.1s blocked=%v; ", e.ExtensionID(), e.PinnedVersion(), e.ContentSHA256(), e.IsBlocked())
		}
		for _, a := range s.Assignments {
			fmt.Fprintf(&b, "asg %s req=%v; ", a.Entry.ExtensionID(), a.IsRequired)
		}
		for _, e := range s.Blocklist {
			fmt.Fprintf(&b, "blk %s %s active=%v; ", e.Pattern().Type(), e.Pattern(), e.IsActive())
		}
		b.WriteString("\n  → ")
	}
	fmt.Fprintf(&b, "advisories %v, exceptions %v, temporary %v", w.advisories, w.exceptions, w.temporary)
	return b.String()
}

// The ports, over the world's current state.

func (w *impactWorld) Load(_ context.Context, groupID domain.ID) (policy.CompileInput, error) {
	return w.input(w.current, groupID), nil
}

func (w *impactWorld) Live(context.Context, time.Time) ([]application.AgentException, error) {
	return w.exceptions, nil
}

func (w *impactWorld) Selected(_ context.Context, sels []application.GroupSelection, agentIDs []domain.ID) ([]application.AgentInventory, error) {
	var out []application.AgentInventory
	for _, a := range w.agents {
		i := slices.IndexFunc(sels, func(s application.GroupSelection) bool { return s.GroupID == a.group })
		if i < 0 || (agentIDs != nil && !slices.Contains(agentIDs, a.id)) {
			continue
		}
		sel := sels[i]
		inv := application.AgentInventory{AgentID: a.id, GroupID: a.group}
		for _, it := range w.items[a.id] {
			id := it.ExtensionID().String()
			if sel.Whole || slices.Contains(sel.ExtensionIDs, id) || slices.Contains(sel.Publishers, id[:strings.IndexByte(id, '.')]) {
				inv.Items = append(inv.Items, it)
			}
		}
		if len(inv.Items) > 0 {
			out = append(out, inv)
		}
	}
	return out, nil
}

func (w *impactWorld) Inventories(_ context.Context, agentIDs []domain.ID) ([]application.AgentInventory, error) {
	var out []application.AgentInventory
	for _, a := range w.agents {
		if slices.Contains(agentIDs, a.id) && len(w.items[a.id]) > 0 {
			out = append(out, application.AgentInventory{AgentID: a.id, GroupID: a.group, Items: w.items[a.id]})
		}
	}
	return out, nil
}

func (w *impactWorld) GroupAgents(_ context.Context, groups []domain.ID) ([]application.AgentInventory, error) {
	var out []application.AgentInventory
	for _, a := range w.agents {
		if slices.Contains(groups, a.group) {
			out = append(out, application.AgentInventory{AgentID: a.id, GroupID: a.group})
		}
	}
	return out, nil
}

func (w *impactWorld) StoredVerdicts(_ context.Context, agentIDs []domain.ID) (map[domain.ID]application.StoredVerdict, error) {
	out := map[domain.ID]application.StoredVerdict{}
	for _, id := range agentIDs {
		if sv, ok := w.stored[id]; ok {
			out[id] = sv
		}
	}
	return out, nil
}

// ExtensionIDs are the distinct installed ids, as the installation reader
// lists them for globs and regexes: an id nobody has installed is not
// among them, though a pattern or an assignment may name it.
func (w *impactWorld) ExtensionIDs(context.Context) ([]string, error) {
	var out []string
	for _, items := range w.items {
		for _, it := range items {
			out = append(out, it.ExtensionID().String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (w *impactWorld) Find(context.Context, application.InstallationFilter, application.PageRequest) (application.Page[application.Installation], error) {
	return application.Page[application.Installation]{}, domain.Internal("not used by the impact")
}

func (w *impactWorld) Impact(context.Context, application.ImpactSelector, int) ([]application.GroupImpact, []application.ImpactedAgent, error) {
	return nil, nil, domain.Internal("not used by the verdict impact")
}
