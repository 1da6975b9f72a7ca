package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// impactFleet is a small fleet written straight into the tables: an enforce
// group of 10 agents, 3 of which have an extension of publisher installed
// (one of them two), and an audit group of 22 agents that all have it, plus
// a decommissioned agent that has it and must not count.
type impactFleet struct {
	publisher        string
	enforce, audit   string // group ids
	enforceName      string
	enforceHit       []string // agent ids, in the enforce group, that have it
	decommissionedID string
}

func seedImpactFleet(e *adminEnv) impactFleet {
	e.t.Helper()
	f := impactFleet{publisher: strings.ToLower(uniqueName("evil")), enforce: domain.NewID().String(), audit: domain.NewID().String()}
	f.enforceName = uniqueName("enforced")
	e.exec(`INSERT INTO groups (id, name, settings) VALUES (?, ?, '{"enforcement":"enforce","mode":"blocklist"}'), (?, ?, '{}')`,
		f.enforce, f.enforceName, f.audit, uniqueName("audited"))
	agent := func(group string, n int, status string) string {
		id := domain.NewID().String()
		e.exec(`INSERT INTO agents (id, group_id, machine_id, display_name, status) VALUES (?, ?, ?, ?, ?)`,
			id, group, "m-"+id[24:], fmt.Sprintf("dev %d", n), status)
		e.exec(`INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
			VALUES (?, 'vscode', 'ms-python.python', ?, '2024.1.0', now())`, id, group)
		return id
	}
	install := func(agentID, group, ext, version string) {
		e.exec(`INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
			VALUES (?, 'vscode', ?, ?, ?, now())`, agentID, ext, group, version)
	}
	for i := range 10 {
		id := agent(f.enforce, i, "active")
		if i < 3 {
			f.enforceHit = append(f.enforceHit, id)
			install(id, f.enforce, f.publisher+".miner", "1.0.0")
		}
		if i == 0 {
			install(id, f.enforce, f.publisher+".stealer", "2.0.0")
		}
	}
	for i := range 22 {
		install(agent(f.audit, i, []string{"active", "stale", "offline"}[i%3]), f.audit, f.publisher+".miner", "1.0.1")
	}
	f.decommissionedID = agent(f.enforce, 99, "decommissioned")
	install(f.decommissionedID, f.enforce, f.publisher+".miner", "1.0.0")
	return f
}

func TestBlocklistImpactCountsPerGroupAndEnforcement(t *testing.T) {
	e := newAdminEnv(t)
	f := seedImpactFleet(e)
	entries, audits := e.count(`SELECT count(*) FROM blocklist`), e.count(`SELECT count(*) FROM audit_log`)
	for _, body := range []string{
		`{"pattern_type":"publisher","pattern":"` + f.publisher + `","reason":"malware"}`,
		`{"pattern_type":"glob","pattern":"` + f.publisher + `.*"}`,
		`{"pattern_type":"regex","pattern":"` + f.publisher + `\\.(miner|stealer)"}`,
	} {
		a := e.as(user.RoleViewer, "POST", "/api/v1/blocklist/impact", body) // read permission: every role
		if a.status != 200 {
			t.Fatalf("%s: %d %s", body, a.status, a.body)
		}
		im := a.json(t)
		if im["agents"].(float64) != 25 || im["enforce"].(float64) != 3 || im["audit"].(float64) != 22 {
			t.Fatalf("%s: totals %v", body, im)
		}
		groups := im["groups"].([]any)
		if len(groups) != 2 {
			t.Fatalf("%s: groups %v", body, groups)
		}
		first, second := groups[0].(map[string]any), groups[1].(map[string]any)
		if first["group_id"] != f.audit || first["enforcement"] != "audit" || first["agents"].(float64) != 22 ||
			second["group_id"] != f.enforce || second["group_name"] != f.enforceName || second["enforcement"] != "enforce" || second["agents"].(float64) != 3 {
			t.Fatalf("%s: groups %v", body, groups)
		}
		sample := im["sample"].([]any)
		if len(sample) != 20 {
			t.Fatalf("%s: %d agents listed, want the first 20", body, len(sample))
		}
		var ids []string
		for _, s := range sample {
			s := s.(map[string]any)
			ids = append(ids, s["agent_id"].(string))
			if s["agent_id"] == f.decommissionedID {
				t.Fatal("a decommissioned agent is listed")
			}
			if s["agent_id"] == f.enforceHit[0] && (s["extension_id"] != f.publisher+".miner" || s["version"] != "1.0.0" ||
				s["enforcement"] != "enforce" || s["machine_id"] == "" || s["display_name"] != "dev 0") {
				t.Fatalf("the agent with two matches: %v", s)
			}
		}
		if !slices.IsSorted(ids) || !slices.Contains(ids, f.enforceHit[0]) {
			t.Fatalf("sample not the first agents by id: %v", ids)
		}
	}
	if e.count(`SELECT count(*) FROM blocklist`) != entries || e.count(`SELECT count(*) FROM audit_log`) != audits {
		t.Fatal("the impact preview wrote something")
	}

	// An inactive entry blocks nothing; an exact id counts only its holders.
	if im := e.must(200, "POST", "/api/v1/blocklist/impact", `{"pattern_type":"publisher","pattern":"`+f.publisher+`","is_active":false}`); im["agents"].(float64) != 0 ||
		len(im["groups"].([]any)) != 0 || len(im["sample"].([]any)) != 0 {
		t.Fatalf("inactive entry: %v", im)
	}
	if im := e.must(200, "POST", "/api/v1/blocklist/impact", `{"pattern_type":"exact","pattern":"`+f.publisher+`.stealer"}`); im["agents"].(float64) != 1 ||
		im["enforce"].(float64) != 1 || im["sample"].([]any)[0].(map[string]any)["version"] != "2.0.0" {
		t.Fatalf("exact: %v", im)
	}
	if im := e.must(200, "POST", "/api/v1/blocklist/impact", `{"pattern_type":"glob","pattern":"nothing-has-this-*"}`); im["agents"].(float64) != 0 {
		t.Fatalf("a glob matching nothing: %v", im)
	}
}

func TestBlocklistImpactValidatesAsCreate(t *testing.T) {
	e := newAdminEnv(t)
	for body, field := range map[string]string{
		`{"pattern_type":"regex","pattern":"a)|(b"}`:                                            "pattern",
		`{"pattern_type":"shell","pattern":"a.b"}`:                                              "pattern_type",
		`{"pattern_type":"exact","pattern":"not an id"}`:                                        "pattern",
		`{"pattern_type":"exact","pattern":"a.b","reason":"` + strings.Repeat("x", 1001) + `"}`: "reason",
	} {
		a := e.as(user.RoleViewer, "POST", "/api/v1/blocklist/impact", body)
		if a.status != 400 || !slices.Contains(problemFields(t, a), field) {
			t.Errorf("%.60s: %d %v, want 400 naming %s", body, a.status, a.body, field)
		}
		if c := e.as(user.RoleAdmin, "POST", "/api/v1/blocklist", body); c.status != 400 {
			t.Errorf("%.60s: create answers %d, the preview 400", body, c.status)
		}
	}
	if a := e.as(user.RoleViewer, "POST", "/api/v1/blocklist/impact", `{"pattern_type":"exact","pattern":"a.b","extra":1}`); a.status != 400 {
		t.Errorf("unknown field: %d", a.status)
	}
	if a := e.call("POST", "/api/v1/blocklist/impact", "", `{"pattern_type":"exact","pattern":"a.b"}`); a.status != 401 {
		t.Errorf("anonymous: %d", a.status)
	}
}

func TestPolicyLintVSCode(t *testing.T) {
	e := newAdminEnv(t)
	a := e.as(user.RoleViewer, "POST", "/api/v1/policy/lint-vscode", `{"content":"{\"AllowedExtensions\": \"{\\\"*\\\": false, \\\"acme\\\": [\\\"1.0.0\\\"], \\\"a.b\\\": \\\"latest\\\"}\"}"}`)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	doc := a.json(t)
	findings := doc["findings"].([]any)
	if doc["format"] != "json" || len(findings) != 2 {
		t.Fatalf("lint: %v", doc)
	}
	effects := map[string]string{}
	for _, f := range findings {
		f := f.(map[string]any)
		effects[f["key"].(string)] = f["effect"].(string)
	}
	if effects["acme"] != "over-broad" || effects["a.b"] != "fail-open" {
		t.Fatalf("effects %v", effects)
	}
	if a := e.as(user.RoleViewer, "POST", "/api/v1/policy/lint-vscode", `{"content":"hello"}`); a.status != 400 || !slices.Contains(problemFields(t, a), "content") {
		t.Fatalf("no value: %d %s", a.status, a.body)
	}
}

// TestPolicyPlanShowsChangesAndImpact: blocking a publisher that 3 of 10
// agents of an enforce group have plans one create and 3 uninstalls there;
// planning writes nothing, the revision names the state, a file already
// applied plans nothing, and deletes come only with prune.
func TestPolicyPlanShowsChangesAndImpact(t *testing.T) {
	e := newAdminEnv(t)
	f := seedImpactFleet(e)
	file := "version: 1\nblocklist:\n  - pattern_type: publisher\n    pattern: " + f.publisher + "\n    reason: malware\n"
	body := func(file string, prune bool) string {
		b, _ := json.Marshal(map[string]any{"file": file, "prune": prune})
		return string(b)
	}
	entries := e.count(`SELECT count(*) FROM blocklist`)
	a := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", body(file, false))
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	plan := a.json(t)
	changes := plan["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["action"] != "create" || changes[0].(map[string]any)["key"] != "publisher "+f.publisher {
		t.Fatalf("changes %v", changes)
	}
	im := plan["impact"].(map[string]any)
	var enforce map[string]any
	for _, g := range im["groups"].([]any) {
		if g := g.(map[string]any); g["group_id"] == f.enforce {
			enforce = g
		}
	}
	if enforce == nil || enforce["agents"].(float64) != 3 || enforce["enforcement"] != "enforce" || im["enforce"].(float64) != 3 {
		t.Fatalf("impact %v", im)
	}
	revision := plan["revision"].(string)
	if e.count(`SELECT count(*) FROM blocklist`) != entries {
		t.Fatal("planning wrote an entry")
	}
	if again := e.must(200, "POST", "/api/v1/policy/plan", body(file, false)); again["revision"] != revision {
		t.Fatal("the revision changed without a change")
	}

	e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"`+f.publisher+`","reason":"malware"}`)
	done := e.must(200, "POST", "/api/v1/policy/plan", body(file, false))
	if len(done["changes"].([]any)) != 0 || done["revision"] == revision || done["impact"].(map[string]any)["agents"].(float64) != 0 {
		t.Fatalf("a file already in place: %v", done)
	}
	changed := e.must(200, "POST", "/api/v1/policy/plan", body(strings.Replace(file, "malware", "miner", 1), false))
	if ch := changed["changes"].([]any); len(ch) != 1 || ch[0].(map[string]any)["action"] != "change" ||
		ch[0].(map[string]any)["before"].(map[string]any)["reason"] != "malware" || ch[0].(map[string]any)["after"].(map[string]any)["reason"] != "miner" {
		t.Fatalf("a changed reason: %v", changed["changes"])
	}
	empty := "version: 1\nblocklist: []\n"
	if p := e.must(200, "POST", "/api/v1/policy/plan", body(empty, false)); len(p["changes"].([]any)) != 0 {
		t.Fatalf("without prune nothing is deleted: %v", p["changes"])
	}
	pruned := e.must(200, "POST", "/api/v1/policy/plan", body(empty, true))
	found := false
	for _, ch := range pruned["changes"].([]any) {
		ch := ch.(map[string]any)
		found = found || (ch["action"] == "delete" && ch["key"] == "publisher "+f.publisher && ch["after"] == nil)
	}
	if !found {
		t.Fatalf("prune: %v", pruned["changes"])
	}

	// The export is a file that plans back to nothing, with prune too.
	exported := e.as(user.RoleViewer, "GET", "/api/v1/policy/export", "")
	if exported.status != 200 || !strings.Contains(string(exported.body), "pattern: "+f.publisher) {
		t.Fatalf("export: %d %s", exported.status, exported.body)
	}
	if p := e.must(200, "POST", "/api/v1/policy/plan", body(string(exported.body), true)); len(p["changes"].([]any)) != 0 {
		t.Fatalf("the export plans changes: %v", p["changes"])
	}
	bad := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", body("version: 1\nblocklist:\n  - {pattern_type: shell, pattern: x}\n  - {pattern_type: exact}\n", false))
	if got := problemFields(t, bad); bad.status != 400 || !slices.Contains(got, "blocklist[0].pattern_type") || !slices.Contains(got, "blocklist[1].pattern") {
		t.Fatalf("bad file: %d %v", bad.status, got)
	}
	schema := e.call("GET", "/api/v1/policy/schema.json", "", "")
	if schema.status != 200 || !strings.Contains(string(schema.body), `"pattern_type"`) {
		t.Fatalf("schema: %d %s", schema.status, schema.body)
	}
}

// TestPolicyApplyIsRevisionCheckedAtomicAndIdempotent: apply runs only at
// the plan's revision (409 otherwise, nothing written), audits every change
// with one change_set_id, changes nothing the second time, and a change set
// whose audit cannot be written leaves nothing behind.
func TestPolicyApplyIsRevisionCheckedAtomicAndIdempotent(t *testing.T) {
	e := newAdminEnv(t)
	failAuditRows(t, e.exec)
	pub := strings.ToLower(uniqueName("applied"))
	file := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + pub + ", reason: malware}\n  - {pattern_type: exact, pattern: " + pub + "-x.tool, is_active: false}\n"
	req := func(file, revision string) string {
		b, _ := json.Marshal(map[string]any{"file": file, "revision": revision})
		return string(b)
	}
	plan := func() string {
		b, _ := json.Marshal(map[string]any{"file": file})
		return e.must(200, "POST", "/api/v1/policy/plan", string(b))["revision"].(string)
	}
	mine := func() int {
		return e.count(`SELECT count(*) FROM blocklist WHERE pattern LIKE ? AND deleted_at IS NULL`, pub+"%")
	}

	revision := plan()
	if a := e.as(user.RoleViewer, "POST", "/api/v1/policy/apply", req(file, revision)); a.status != 403 {
		t.Fatalf("a viewer applies: %d", a.status)
	}
	failing := e.call("POST", "/api/v1/policy/apply", e.tokens[user.RoleEditor], req(file, revision), "User-Agent", auditFailsUA)
	if failing.status != 503 || mine() != 0 {
		t.Fatalf("audit refused: %d, %d entries left", failing.status, mine())
	}
	done := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", req(file, revision))
	if done.status != 200 {
		t.Fatalf("apply: %d %s", done.status, done.body)
	}
	doc := done.json(t)
	set, _ := doc["change_set_id"].(string)
	if set == "" || len(doc["changes"].([]any)) != 2 || mine() != 2 {
		t.Fatalf("applied: %v, %d entries", doc, mine())
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE details->>'change_set_id' = ? AND event_type = 'blocklist.created'`, set); n != 2 {
		t.Fatalf("%d audit rows carry the change set, want 2", n)
	}
	if a := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", req(file, revision)); a.status != 409 {
		t.Fatalf("apply at a stale revision: %d %s", a.status, a.body)
	}
	audits := e.count(`SELECT count(*) FROM audit_log WHERE event_type LIKE 'blocklist.%'`)
	again := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", req(file, plan()))
	if again.status != 200 || again.json(t)["change_set_id"] != nil || len(again.json(t)["changes"].([]any)) != 0 ||
		e.count(`SELECT count(*) FROM audit_log WHERE event_type LIKE 'blocklist.%'`) != audits {
		t.Fatalf("applying the same file again: %d %s", again.status, again.body)
	}
	if doc["revision"] != plan() {
		t.Fatal("the revision an apply answers is not the state it left")
	}

	// A change through the ordinary REST API between plan and apply moves
	// the revision too: the apply is refused and writes nothing of the file.
	moved := "version: 1\nblocklist:\n  - {pattern_type: exact, pattern: " + pub + "-y.tool}\n"
	b, _ := json.Marshal(map[string]any{"file": moved})
	stale := e.must(200, "POST", "/api/v1/policy/plan", string(b))["revision"].(string)
	e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"exact","pattern":"`+pub+`-z.tool"}`)
	if a := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", req(moved, stale)); a.status != 409 ||
		e.count(`SELECT count(*) FROM blocklist WHERE pattern = ? AND deleted_at IS NULL`, pub+"-y.tool") != 0 {
		t.Fatalf("apply after a REST change since the plan: %d %s", a.status, a.body)
	}
}
