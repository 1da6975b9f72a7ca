package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
)

// verdictFleet is a fixture fleet for a plan's verdict impact:
//   - enforce (blocklist mode, enforce): 10 agents with ms-python.python,
//     3 of them also with <publisher>.miner;
//   - audited (blocklist mode, audit): 4 agents, 2 of them with the miner;
//   - allow (allowlist mode, audit, nothing assigned): 5 agents with
//     ms-python.python, all non-compliant (unapproved) now.
//
// A decommissioned agent of enforce has the miner too and never counts.
type verdictFleet struct {
	publisher, tool             string
	enforce, audited, allow     string // group names
	enforceID, auditID, allowID string
}

func seedVerdictFleet(e *adminEnv) verdictFleet {
	e.t.Helper()
	f := verdictFleet{publisher: strings.ToLower(uniqueName("evil")), tool: strings.ToLower(uniqueName("acme")) + ".tool",
		enforce: uniqueName("enforce"), audited: uniqueName("audited"), allow: uniqueName("allow"),
		enforceID: domain.NewID().String(), auditID: domain.NewID().String(), allowID: domain.NewID().String()}
	e.exec(`INSERT INTO groups (id, name, settings) VALUES (?, ?, '{"mode":"blocklist","enforcement":"enforce"}'),
		(?, ?, '{"mode":"blocklist"}'), (?, ?, '{}')`, f.enforceID, f.enforce, f.auditID, f.audited, f.allowID, f.allow)
	agent := func(group string, n int, status string, exts ...string) {
		id := domain.NewID().String()
		e.exec(`INSERT INTO agents (id, group_id, machine_id, display_name, status) VALUES (?, ?, ?, ?, ?)`,
			id, group, "m-"+id[24:], fmt.Sprintf("dev %d", n), status)
		for _, ext := range append([]string{"ms-python.python"}, exts...) {
			e.exec(`INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
				VALUES (?, 'vscode', ?, ?, '1.0.0', now())`, id, ext, group)
		}
	}
	for i := range 10 {
		if i < 3 {
			agent(f.enforceID, i, "active", f.publisher+".miner")
		} else {
			agent(f.enforceID, i, []string{"active", "stale", "offline"}[i%3])
		}
	}
	agent(f.enforceID, 99, "decommissioned", f.publisher+".miner")
	for i := range 4 {
		if i < 2 {
			agent(f.auditID, i, "active", f.publisher+".miner")
		} else {
			agent(f.auditID, i, "active")
		}
	}
	for i := range 5 {
		agent(f.allowID, i, "active")
	}
	return f
}

// planVerdicts plans file and answers its verdict impact, by group name.
func planVerdicts(e *adminEnv, file string) (map[string]any, map[string]map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"file": file})
	v := e.must(200, "POST", "/api/v1/policy/plan", string(b))["verdicts"].(map[string]any)
	groups := map[string]map[string]any{}
	for _, g := range v["groups"].([]any) {
		g := g.(map[string]any)
		groups[g["group_name"].(string)] = g
	}
	return v, groups
}

// extensionImpact is the group's line for one extension.
func extensionImpact(t *testing.T, g map[string]any, id string) map[string]any {
	t.Helper()
	for _, x := range g["extensions"].([]any) {
		if x := x.(map[string]any); x["extension_id"] == id {
			return x
		}
	}
	t.Fatalf("no line for %s in %v", id, g["extensions"])
	return nil
}

func num(v any) int { return int(v.(float64)) }

// TestPlanVerdictsOfABlock: blocking a publisher that 3 of 10 agents of an
// enforce group have orders 3 uninstalls there and turns those 3
// non-compliant; in an audit group the 2 holders turn non-compliant with no
// uninstall; in an allowlist group, already non-compliant, nothing changes.
func TestPlanVerdictsOfABlock(t *testing.T) {
	e := newAdminEnv(t)
	f := seedVerdictFleet(e)
	v, groups := planVerdicts(e, "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: "+f.publisher+", reason: malware}\n")
	enforce, audited := groups[f.enforce], groups[f.audited]
	if enforce == nil || num(enforce["uninstalls"]) != 3 || num(enforce["turn_non_compliant"]) != 3 || num(enforce["turn_compliant"]) != 0 ||
		enforce["enforcement"] != "enforce" || num(enforce["required_installs"]) != 0 {
		t.Fatalf("enforce group: %v", enforce)
	}
	if x := extensionImpact(t, enforce, f.publisher+".miner"); x["kind"] != "blocked" || num(x["non_compliant"]) != 3 || num(x["uninstalls"]) != 3 {
		t.Fatalf("why: %v", x)
	}
	if len(enforce["sample"].([]any)) != 3 || enforce["sample"].([]any)[0].(map[string]any)["becomes"] != "non_compliant" {
		t.Fatalf("sample: %v", enforce["sample"])
	}
	if audited == nil || num(audited["uninstalls"]) != 0 || num(audited["turn_non_compliant"]) != 2 {
		t.Fatalf("audit group: %v", audited)
	}
	if _, changed := groups[f.allow]; changed {
		t.Fatalf("the allowlist group, non-compliant already, changes: %v", groups[f.allow])
	}
	if num(v["uninstalls"]) < 3 || num(v["turn_non_compliant"]) < 5 {
		t.Fatalf("totals: %v", v)
	}
}

// TestPlanVerdictsOfARequiredAssignment: a catalog entry the file creates,
// assigned required to the enforce group, which none of its 10 agents has:
// 10 required installs, and 10 agents turn non-compliant.
func TestPlanVerdictsOfARequiredAssignment(t *testing.T) {
	e := newAdminEnv(t)
	f := seedVerdictFleet(e)
	_, groups := planVerdicts(e, fmt.Sprintf("version: 1\ncatalog:\n  - {extension_id: %s, pinned_version: 2.0.0}\n"+
		"assignments:\n  - {group: %s, extension_id: %s, required: true}\n", f.tool, f.enforce, f.tool))
	g := groups[f.enforce]
	if g == nil || num(g["required_installs"]) != 10 || num(g["turn_non_compliant"]) != 10 || num(g["uninstalls"]) != 0 {
		t.Fatalf("enforce group: %v", g)
	}
	if x := extensionImpact(t, g, f.tool); x["kind"] != "required_missing" || num(x["installs"]) != 10 || num(x["non_compliant"]) != 10 {
		t.Fatalf("why: %v", x)
	}
	if len(groups) != 1 {
		t.Fatalf("other groups change: %v", groups)
	}
}

// TestPlanVerdictsOfAModeChange: the allowlist group turning blocklist makes
// its 5 agents compliant (their unapproved extension is allowed now).
func TestPlanVerdictsOfAModeChange(t *testing.T) {
	e := newAdminEnv(t)
	f := seedVerdictFleet(e)
	_, groups := planVerdicts(e, "version: 1\ngroups:\n  - {name: "+f.allow+", settings: {mode: blocklist}}\n")
	g := groups[f.allow]
	if g == nil || num(g["turn_compliant"]) != 5 || num(g["turn_non_compliant"]) != 0 || g["mode"] != "blocklist" || num(g["uninstalls"]) != 0 {
		t.Fatalf("allow group: %v", g)
	}
	if x := extensionImpact(t, g, "ms-python.python"); x["kind"] != "unapproved" || num(x["compliant"]) != 5 {
		t.Fatalf("why: %v", x)
	}
	// Turning the audit group to enforce orders the uninstalls it only
	// reports now, and changes nobody's compliance.
	_, groups = planVerdicts(e, "version: 1\ngroups:\n  - {name: "+f.allow+", settings: {enforcement: enforce}}\n")
	if g := groups[f.allow]; g == nil || num(g["uninstalls"]) != 5 || num(g["turn_non_compliant"]) != 0 || num(g["turn_compliant"]) != 0 {
		t.Fatalf("audit to enforce: %v", g)
	}
}

// TestPlanVerdictsTrustStoredVerdictsOfTheCurrentPolicy: an agent whose
// stored verdict was judged against the policy it has now is settled from
// that verdict (its other extensions' violations are in it) without its
// inventory being read; a verdict of another policy is not trusted.
func TestPlanVerdictsTrustStoredVerdictsOfTheCurrentPolicy(t *testing.T) {
	e := newAdminEnv(t)
	f := seedVerdictFleet(e)
	etag := e.must(200, "GET", "/api/v1/groups/"+f.enforceID+"/policy", "")["etag"].(string)
	// Every enforce agent reported under the current policy: compliant,
	// except one miner holder whose verdict names an extension the file
	// does not touch (as a required extension it lacks would be).
	holders := e.count(`SELECT count(*) FROM installations WHERE group_id = ? AND extension_id = ?`, f.enforceID, f.publisher+".miner")
	e.exec(`INSERT INTO agent_verdicts (agent_id, group_id, reported_at, policy_etag, compliant, violations)
		SELECT id, group_id, now(), ?, true, '[]' FROM agents WHERE group_id = ?`, etag, f.enforceID)
	e.exec(`UPDATE agent_verdicts SET compliant = false, violations = '[{"extension_id":"other.tool","kind":"required_missing"}]'
		WHERE agent_id = (SELECT min(agent_id::text)::uuid FROM installations WHERE group_id = ? AND extension_id = ?)`, f.enforceID, f.publisher+".miner")
	file := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + f.publisher + "}\n"
	_, groups := planVerdicts(e, file)
	if g := groups[f.enforce]; holders != 4 || g == nil || num(g["turn_non_compliant"]) != 2 || num(g["uninstalls"]) != 3 {
		t.Fatalf("settled from stored verdicts: %v (holders %d)", g, holders)
	}
	e.exec(`UPDATE agent_verdicts SET policy_etag = 'p-older' WHERE group_id = ?`, f.enforceID)
	if _, groups := planVerdicts(e, file); num(groups[f.enforce]["turn_non_compliant"]) != 3 {
		t.Fatalf("stored verdicts of another policy trusted: %v", groups[f.enforce])
	}
}
