package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/policyfile"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// TestPlanImpactAgreesWithTheVerdictsAfterApply: the plan's verdict impact
// is what the agents' own reports answer once the file is applied. Real
// agents report through the agent API before and after the apply; per
// group, the agents whose compliance flips and the uninstall and install
// orders that are new must be the plan's figures.
func TestPlanImpactAgreesWithTheVerdictsAfterApply(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	ctx := context.Background()
	tag := strings.ToLower(domain.NewID().String()[24:])
	miner, tool := "evil"+tag+".miner", "acme"+tag+".tool"
	type fleetAgent struct{ key, id string }
	groups := map[domain.ID][]fleetAgent{}
	inventory := map[string][]string{}
	add := func(g domain.ID, key string, n int, exts ...string) {
		for i := range n {
			id := e.enroll(key, fmt.Sprintf("m-agree-%s-%s-%d-%d", tag, g.String()[24:], len(exts), i))
			groups[g] = append(groups[g], fleetAgent{key, id})
			inventory[id] = exts
		}
	}
	enforce := e.group(`{"mode":"blocklist","enforcement":"enforce"}`)
	audited := e.group(`{"mode":"blocklist"}`)
	allow := e.group(`{"mode":"allowlist"}`)
	for _, g := range []domain.ID{enforce, audited, allow} {
		key := e.key(g)
		add(g, key, 3, "ms-python.python", miner)
		add(g, key, 2, "ms-python.python")
		// An extension the file does not touch: in the allowlist group it
		// stays unapproved, so approving the agent's other one flips nothing.
		add(g, key, 1, "ms-python.python", "zz"+tag+".other", "ms-toolsai.jupyter")
	}
	// report answers each agent's verdict: compliant, and its orders.
	report := func(at time.Time) map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		for _, agents := range groups {
			for _, a := range agents {
				var items []string
				for _, x := range inventory[a.id] {
					items = append(items, installed(x, "1.0.0"))
				}
				r := e.call("POST", "/api/v1/agent/reports", a.key, a.id, reportBody(at, items...))
				if r.status != 200 {
					t.Fatalf("report: %d %s", r.status, r.body)
				}
				out[a.id] = r.json(t)
			}
		}
		return out
	}
	before := report(time.Now().Add(-2 * time.Minute))

	file := fmt.Sprintf("version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: evil%s}\n"+
		"catalog:\n  - {extension_id: %s}\n  - {extension_id: ms-python.python}\n"+
		"assignments:\n  - {group: g-%s, extension_id: %s, required: true}\n  - {group: g-%s, extension_id: ms-python.python}\n",
		tag, tool, audited, tool, allow)
	f, err := policyfile.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.uc.PlanPolicy.Execute(ctx, f, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.ApplyPolicy.Execute(ctx, audit.SystemActor(), f, false, plan.Revision); err != nil {
		t.Fatal(err)
	}
	after := report(time.Now().Add(-time.Minute))

	planned := map[domain.ID][4]int{}
	for _, g := range plan.Verdicts.Groups {
		planned[g.GroupID] = [4]int{g.TurnNonCompliant, g.TurnCompliant, g.Uninstalls, g.RequiredInstalls}
	}
	for g, agents := range groups {
		var seen [4]int
		for _, a := range agents {
			was, is := before[a.id]["compliant"] == true, after[a.id]["compliant"] == true
			if was && !is {
				seen[0]++
			}
			if !was && is {
				seen[1]++
			}
			old := orders(before[a.id])
			for o := range orders(after[a.id]) {
				if old[o] {
					continue
				}
				if strings.HasPrefix(o, "uninstall ") {
					seen[2]++
				} else {
					seen[3]++
				}
			}
		}
		if seen != planned[g] {
			t.Errorf("group g-%s: the agents answer %v (non-compliant, compliant, uninstalls, installs), the plan said %v", g, seen, planned[g])
		}
	}
	// The fixture is not trivial: something changes in every group.
	if len(planned) != 3 {
		t.Fatalf("the plan changes %d groups, want 3: %+v", len(planned), plan.Verdicts.Groups)
	}
}

// orders is a verdict's actions as "action extension_id".
func orders(verdict map[string]any) map[string]bool {
	out := map[string]bool{}
	acts, _ := verdict["actions"].([]any)
	for _, a := range acts {
		a := a.(map[string]any)
		out[fmt.Sprint(a["action"], " ", a["extension_id"])] = true
	}
	return out
}
