package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// problemsOfEveryStage is a policy file with one problem of each stage,
// each after a bad entry of its section so that a path counted among the
// parsed entries only would be wrong: the parser's (a group's mode, a
// catalog pin, an assignment's required, a regex that does not compile),
// references to nothing (a group, a catalog entry) and a private download
// URL. Its assignments also name the group and the catalog entry that do
// not parse: those are in the file, so they are no references to nothing.
// want lists every path the answer must name, and nothing else.
func problemsOfEveryStage(name string) (file string, want []string) {
	file = fmt.Sprintf(`version: 1
groups:
  - {name: %[1]s-ok}
  - {name: %[1]s-bad, settings: {mode: strict}}
catalog:
  - {extension_id: %[1]s.bad, pinned_version: "1.0.0+build5"}
  - {extension_id: %[1]s.tool, marketplace_url: "http://10.1.2.3/x.vsix"}
assignments:
  - {group: %[1]s-ok, extension_id: %[1]s.tool, required: maybe}
  - {group: %[1]s-nobody, extension_id: %[1]s.tool}
  - {group: %[1]s-ok, extension_id: %[1]s.nowhere}
  - {group: %[1]s-bad, extension_id: %[1]s.bad}
blocklist:
  - {pattern_type: exact, pattern: %[1]s.x}
  - {pattern_type: regex, pattern: "a)|(b"}
`, name)
	return file, []string{"groups[1].settings.mode", "catalog[0].pinned_version", "assignments[0].required", "blocklist[1].pattern",
		"assignments[1].group", "assignments[2].extension_id", "catalog[1].marketplace_url"}
}

// TestPolicyPlanAndApplyAnswerEveryProblemAtOnce: a bad file gets every
// problem the server finds, the parser's and the later checks', in one
// 400 naming each by its path in the file, from plan and from apply, and
// nothing is written.
func TestPolicyPlanAndApplyAnswerEveryProblemAtOnce(t *testing.T) {
	e := newAdminEnv(t)
	name := strings.ToLower(uniqueName("stages"))
	file, want := problemsOfEveryStage(name)
	groups := e.count(`SELECT count(*) FROM groups`)
	b, _ := json.Marshal(map[string]any{"file": file})
	plan := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", string(b))
	got := problemFields(t, plan)
	slices.Sort(got)
	slices.Sort(want)
	if plan.status != 400 || !slices.Equal(got, want) {
		t.Fatalf("plan: %d, named %v\nwant %v\n%s", plan.status, got, want, plan.body)
	}
	// Apply judges the file the same way, whatever the revision says.
	good, _ := json.Marshal(map[string]any{"file": "version: 1\nblocklist: []\n"})
	revision := e.must(200, "POST", "/api/v1/policy/plan", string(good))["revision"].(string)
	b, _ = json.Marshal(map[string]any{"file": file, "revision": revision})
	apply := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", string(b))
	got = problemFields(t, apply)
	slices.Sort(got)
	if apply.status != 400 || !slices.Equal(got, want) {
		t.Fatalf("apply: %d, named %v\nwant %v", apply.status, got, want)
	}
	if e.count(`SELECT count(*) FROM groups`) != groups || e.count(`SELECT count(*) FROM blocklist WHERE pattern = ?`, name+".x") != 0 ||
		e.count(`SELECT count(*) FROM extensions WHERE extension_id LIKE ?`, name+"%") != 0 {
		t.Fatal("a bad file wrote something")
	}

	// With the parser's problems fixed, the later checks still answer
	// together; with everything fixed, the file plans.
	fixed := strings.NewReplacer("mode: strict", "mode: blocklist", `"1.0.0+build5"`, "1.0.0", "required: maybe", "required: true", `"a)|(b"`, `"a|b"`).Replace(file)
	b, _ = json.Marshal(map[string]any{"file": fixed})
	later := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", string(b))
	got = problemFields(t, later)
	slices.Sort(got)
	if later.status != 400 || !slices.Equal(got, []string{"assignments[1].group", "assignments[2].extension_id", "catalog[1].marketplace_url"}) {
		t.Fatalf("the later checks: %d %v", later.status, got)
	}
	fixed = strings.NewReplacer(name+"-nobody", name+"-bad", name+".nowhere", name+".bad", "http://10.1.2.3/x.vsix", "https://93.184.215.14/x.vsix").Replace(fixed)
	b, _ = json.Marshal(map[string]any{"file": fixed})
	if p := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", string(b)); p.status != 200 {
		t.Fatalf("the fixed file: %d %s", p.status, p.body)
	}
}
