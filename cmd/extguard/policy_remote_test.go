package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planServer answers plan and apply the way the admin API does (its shapes
// are tested against the OpenAPI document in adapters/http); it records
// what the command sent.
type planServer struct {
	plan, apply   string // bodies answered with 200; "" answers the problem
	export        string
	problem       string
	problemStatus int
	got           []map[string]any
	keys          []string
}

func (s *planServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &in)
	s.got = append(s.got, in)
	s.keys = append(s.keys, r.Header.Get("Authorization"))
	answer := map[string]string{"/api/v1/policy/plan": s.plan, "/api/v1/policy/apply": s.apply, "/api/v1/policy/export": s.export}[r.URL.Path]
	if answer == "" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(s.problemStatus)
		_, _ = w.Write([]byte(s.problem))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(answer))
}

const plannedChanges = `{"revision":"r-1","changes":[
 {"resource":"blocklist","key":"publisher evil","action":"create","before":null,"after":{"pattern_type":"publisher","pattern":"evil","reason":"malware","is_active":true}},
 {"resource":"blocklist","key":"exact a.b","action":"change","before":{"pattern_type":"exact","pattern":"a.b","reason":"old","is_active":true},"after":{"pattern_type":"exact","pattern":"a.b","reason":"new","is_active":true}},
 {"resource":"group","key":"ci","action":"change","before":{"name":"ci","description":"","settings":{"mode":"allowlist"}},"after":{"name":"ci","description":"","settings":{"enforcement":"enforce","mode":"blocklist"}}},
 {"resource":"assignment","key":"ci/acme.tool","action":"delete","before":{"group":"ci","extension_id":"acme.tool","is_required":true},"after":null}],
 "impact":{"agents":25,"enforce":3,"audit":22,"groups":[{"group_id":"x","group_name":"laptops","enforcement":"audit","agents":22},{"group_id":"y","group_name":"ci","enforcement":"enforce","agents":3}],"sample":[]},
 "verdicts":{"turn_non_compliant":25,"turn_compliant":4,"uninstalls":3,"required_installs":0,"groups":[{"group_id":"y","group_name":"ci","mode":"blocklist","enforcement":"enforce",
   "turn_non_compliant":3,"turn_compliant":4,"uninstalls":3,"required_installs":0,"extensions":[{"extension_id":"evil.miner","kind":"blocked","non_compliant":3,"compliant":0,"uninstalls":3,"installs":0}],"sample":[]}]}}`

func TestPolicyPlanAndApplyCommands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nblocklist: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"EXTGUARD_API_KEY": "egk_test"}[k] }
	cli := func(s *planServer, getenv func(string) string, args ...string) (int, string, string) {
		srv := httptest.NewServer(s)
		defer srv.Close()
		var stdout, stderr bytes.Buffer
		code := run(append(append([]string{"policy"}, args...), "--server", srv.URL), getenv, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	s := &planServer{plan: plannedChanges}
	code, out, _ := cli(s, env, "plan", "-f", file, "--prune")
	for _, want := range []string{`+ blocklist "publisher evil" is_active="true" pattern="evil"`, `~ blocklist "exact a.b" reason: "old" -> "new"`,
		`~ group "ci" settings: "{\"mode\":\"allowlist\"}" -> "{\"enforcement\":\"enforce\",\"mode\":\"blocklist\"}"`, `- assignment "ci/acme.tool"`,
		"25 agent(s) turn non-compliant, 4 turn compliant; enforce groups would order 3 uninstall(s)",
		`group "ci" (blocklist, enforce): 3 turn non-compliant, 4 turn compliant, 3 uninstall(s)`, `"evil.miner"`,
		"3 in enforce groups", `"laptops"`, "4 change(s) planned against revision r-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if code != 2 || s.keys[0] != "Bearer egk_test" || s.got[0]["prune"] != true || s.got[0]["file"] != "version: 1\nblocklist: []\n" {
		t.Fatalf("plan: exit %d, sent %v with %v", code, s.got, s.keys)
	}
	if code, out, _ := cli(&planServer{plan: `{"revision":"r-1","changes":[],"impact":{"agents":0,"enforce":0,"audit":0,"groups":[],"sample":[]}}`}, env, "plan", "-f", file); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("nothing to change: exit %d %s", code, out)
	}
	if code, out, _ := cli(&planServer{plan: plannedChanges}, env, "plan", "-f", file, "--json"); code != 2 || !json.Valid([]byte(out)) {
		t.Fatalf("--json: exit %d %s", code, out)
	}

	s = &planServer{plan: plannedChanges, apply: `{"change_set_id":"0190a0a0-0000-7000-8000-000000000000","revision":"r-2","changes":[{"resource":"blocklist","key":"publisher evil","action":"create","before":null,"after":{"pattern":"evil"}}]}`}
	code, out, _ = cli(s, env, "apply", "-f", file)
	if code != 0 || len(s.got) != 2 || s.got[1]["revision"] != "r-1" || !strings.Contains(out, "change set 0190a0a0") {
		t.Fatalf("apply: exit %d, sent %v\n%s", code, s.got, out)
	}
	// --revision: the reviewed plan's revision is sent, no new plan is made.
	s = &planServer{plan: plannedChanges, apply: `{"change_set_id":null,"revision":"r-0","changes":[]}`}
	if code, _, errOut := cli(s, env, "apply", "-f", file, "--revision", "r-0"); code != 0 || len(s.got) != 1 || s.got[0]["revision"] != "r-0" {
		t.Fatalf("apply --revision: exit %d, sent %v %s", code, s.got, errOut)
	}
	if code, _, _ := cli(&planServer{plan: plannedChanges}, env, "plan", "-f", file, "--revision", "r-0"); code != 1 {
		t.Fatalf("plan --revision: exit %d", code)
	}
	moved := &planServer{plan: plannedChanges, problemStatus: 409, problem: `{"title":"Conflict","status":409,"detail":"the policy changed since this plan; plan again"}`}
	if code, _, errOut := cli(moved, env, "apply", "-f", file); code != 1 || !strings.Contains(errOut, "409") {
		t.Fatalf("moved policy: exit %d %s", code, errOut)
	}
	bad := &planServer{problemStatus: 400, problem: `{"title":"invalid policy file","status":400,"errors":[{"field":"blocklist[0].pattern_type","message":"must be exact, publisher, glob or regex"},{"field":"version","message":"must be 1"}]}`}
	if code, _, errOut := cli(bad, env, "plan", "-f", file); code != 1 || !strings.Contains(errOut, "blocklist[0].pattern_type") || !strings.Contains(errOut, "version: must be 1") {
		t.Fatalf("bad file: exit %d %s", code, errOut)
	}
	if code, _, errOut := cli(&planServer{plan: plannedChanges}, func(string) string { return "" }, "plan", "-f", file); code != 1 || !strings.Contains(errOut, "EXTGUARD_API_KEY") {
		t.Fatalf("no key: exit %d %s", code, errOut)
	}
	for _, server := range []string{"http://extguard.example.com", "ftp://127.0.0.1", "extguard.example.com"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"policy", "plan", "-f", file, "--server", server}, env, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "https") {
			t.Fatalf("--server %s (the key in clear text): exit %d %s", server, code, stderr.String())
		}
	}
	// A redirect is not followed with the key (not even to the same host).
	target := &planServer{plan: plannedChanges}
	to := httptest.NewServer(target)
	defer to.Close()
	redirect := httptest.NewServer(http.RedirectHandler(to.URL+"/api/v1/policy/plan", http.StatusTemporaryRedirect))
	defer redirect.Close()
	var rOut, rErr bytes.Buffer
	if code := run([]string{"policy", "plan", "-f", file, "--server", redirect.URL}, env, &rOut, &rErr); code != 1 || len(target.keys) != 0 {
		t.Fatalf("redirected: exit %d, the target got %q %s", code, target.keys, rErr.String())
	}
	if code, _, _ := cli(&planServer{plan: plannedChanges}, env, "plan"); code != 1 {
		t.Fatalf("no -f: exit %d", code)
	}
	exported := "version: 1\nblocklist: []\n"
	if code, out, _ := cli(&planServer{export: exported}, env, "export"); code != 0 || out != exported {
		t.Fatalf("export: exit %d %q", code, out)
	}
}
