package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/logging"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// The policy commands against a real server: the process's own API (wired as
// `extguard serve` wires it) on this package's PostgreSQL database and
// private redis-server, with API keys minted by the real use case.
// TestPolicyPlanAndApplyCommands (policy_remote_test.go) covers the
// command's own paths against a stub.

// realServer starts the API on a loopback port and answers its URL.
func realServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{"EXTGUARD_DATABASE_URL": pgtest.DSN(t), "EXTGUARD_REDIS_URL": redistest.URL(t)}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.Setup(ctx, telemetry.ServiceInfo{Name: "extguard-test", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	srv, cleanup, err := initServer(ctx, cfg, logging.New("error", "json", io.Discard), tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App.Listener(ln) }()
	t.Cleanup(func() { _ = srv.App.Shutdown() })
	return "http://" + ln.Addr().String()
}

// apiKey mints a key not bound to a group, with scopes, through the use case
// the admin API's POST /api/v1/api-keys runs; it answers the secret.
func apiKey(t *testing.T, scopes ...string) string {
	t.Helper()
	db := pgtest.DB(t)
	uc := application.CreateAPIKey{Tx: postgres.NewTxRunner(db), Keys: postgres.NewAPIKeyRepository(db),
		Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{}}
	_, secret, err := uc.Execute(context.Background(), audit.SystemActor(), user.RoleAdmin, domain.NilID,
		"ci "+strings.Join(scopes, ","), scopes, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secret.String()
}

// policyCLI runs `extguard policy ARGS --server URL` with key as EXTGUARD_API_KEY.
func policyCLI(t *testing.T, url, key string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return map[string]string{"EXTGUARD_API_KEY": key}[k] }
	code = run(append(append([]string{"policy"}, args...), "--server", url), getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writePolicyFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// blocklistEntry is GET /api/v1/blocklist's entry for pattern, as the server
// holds it ("" reason and false found when absent).
func blocklistEntry(t *testing.T, url, key, pattern string) (reason string, active, found bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/blocklist?pattern_type=publisher", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Pattern  string `json:"pattern"`
			Reason   string `json:"reason"`
			IsActive bool   `json:"is_active"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/blocklist: %d %v", resp.StatusCode, err)
	}
	for _, e := range page.Items {
		if e.Pattern == pattern {
			return e.Reason, e.IsActive, true
		}
	}
	return "", false, false
}

func TestPolicyCommandsAgainstARealServer(t *testing.T) {
	url := realServer(t)
	admin, viewer := apiKey(t, "admin"), apiKey(t, "read")
	// A fleet whose rare extension is the one the file blocks: the plan's
	// impact counts the agents that have it. The blocklist is global and
	// this package's database is shared by its tests: the seeded publisher
	// is nobody else's, and no --prune.
	fleet, err := pgtest.SeedFleet(context.Background(), pgtest.DSN(t), pgtest.Fleet{Groups: 1, Agents: 300, ExtensionsPerAgent: 5, Distinct: 20})
	if err != nil || fleet.RareAgents == 0 {
		t.Fatalf("seed: %v, %d agents with the rare extension", err, fleet.RareAgents)
	}
	publisher, _, _ := strings.Cut(fleet.Rare, ".")
	file := writePolicyFile(t, "version: 1\nblocklist:\n  - pattern_type: publisher\n    pattern: "+publisher+"\n    reason: malware, advisory 2026-11\n")

	code, out, errOut := policyCLI(t, url, admin, "plan", "-f", file)
	// The seeded group has default settings (an audit allowlist with an
	// empty catalog): every agent is non-compliant already, so a block
	// turns none of them non-compliant and orders no uninstall.
	if code != 2 || !strings.Contains(out, `+ blocklist "publisher `+publisher+`"`) || !strings.Contains(out, `reason="malware, advisory 2026-11"`) ||
		!strings.Contains(out, "1 change(s) planned against revision") ||
		!strings.Contains(out, "Impact on verdicts: 0 agent(s) turn non-compliant, 0 turn compliant") ||
		!strings.Contains(out, fmt.Sprintf("Blocks added: %d agent(s) have an extension they cover", fleet.RareAgents)) ||
		!regexp.MustCompile(`(?m)^  "fleet-\S+-0" +\w+ +`+strconv.Itoa(fleet.RareAgents)+`$`).MatchString(out) {
		t.Fatalf("plan of a new block: exit %d, want 2 and the diff\n%s%s", code, out, errOut)
	}
	if _, _, found := blocklistEntry(t, url, admin, publisher); found {
		t.Fatal("plan wrote the entry")
	}
	code, out, errOut = policyCLI(t, url, admin, "plan", "-f", file, "--json")
	var plan struct {
		Revision string `json:"revision"`
		Changes  []struct {
			Resource, Key, Action string
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 2 || plan.Revision == "" || len(plan.Changes) != 1 ||
		plan.Changes[0].Action != "create" || plan.Changes[0].Key != "publisher "+publisher {
		t.Fatalf("plan --json: exit %d, %v: %+v\n%s%s", code, err, plan, out, errOut)
	}

	// A read key plans (plan needs read) but may not apply.
	if code, _, errOut := policyCLI(t, url, viewer, "plan", "-f", file); code != 2 {
		t.Fatalf("plan with a read key: exit %d %s", code, errOut)
	}
	code, _, errOut = policyCLI(t, url, viewer, "apply", "-f", file)
	if code != 1 || !strings.Contains(errOut, "the server answered 403") || !strings.Contains(errOut, file) {
		t.Fatalf("apply with a read key: exit %d, want 1 and the 403\n%s", code, errOut)
	}
	if _, _, found := blocklistEntry(t, url, admin, publisher); found {
		t.Fatal("a refused apply wrote the entry")
	}

	code, out, errOut = policyCLI(t, url, admin, "apply", "-f", file)
	if code != 0 || !strings.Contains(out, `+ blocklist "publisher `+publisher+`"`) || !strings.Contains(out, "Applied 1 change(s) as change set") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if reason, active, found := blocklistEntry(t, url, admin, publisher); !found || !active || reason != "malware, advisory 2026-11" {
		t.Fatalf("after apply the server holds found=%v active=%v reason=%q", found, active, reason)
	}
	if code, out, errOut := policyCLI(t, url, admin, "plan", "-f", file); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after apply: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if code, out, _ := policyCLI(t, url, admin, "apply", "-f", file); code != 0 || !strings.Contains(out, "Nothing to apply") {
		t.Fatalf("apply again: exit %d\n%s", code, out)
	}
	if code, out, _ := policyCLI(t, url, admin, "export"); code != 0 || !strings.Contains(out, publisher) {
		t.Fatalf("export: exit %d, the applied entry missing\n%s", code, out)
	}

	bad := writePolicyFile(t, "version: 1\nblocklist:\n  - pattern_type: publisher\n    pattern: ok-"+publisher+"\n  - pattern_type: nope\n    pattern: x\n")
	code, out, errOut = policyCLI(t, url, admin, "plan", "-f", bad)
	if code != 1 || !strings.Contains(errOut, bad) || !strings.Contains(errOut, "blocklist[1].pattern_type") || out != "" {
		t.Fatalf("bad file: exit %d, want 1 with the path in the file\n%s%s", code, out, errOut)
	}
	if code, _, errOut := policyCLI(t, url, admin, "apply", "-f", bad); code != 1 || !strings.Contains(errOut, "blocklist[1].pattern_type") {
		t.Fatalf("apply of a bad file: exit %d %s", code, errOut)
	}
	if _, _, found := blocklistEntry(t, url, admin, "ok-"+publisher); found {
		t.Fatal("a bad file's valid entry was applied")
	}
	if code, _, errOut := policyCLI(t, url, "egk_not-a-key", "plan", "-f", file); code != 1 || !strings.Contains(errOut, "401") {
		t.Fatalf("an unknown key: exit %d %s", code, errOut)
	}
}

// TestPolicyApplyAtAReviewedRevisionThroughTheCLI: `apply --revision R`
// applies only the file planned at R. The file edited after its plan was
// reviewed exits 1 on the server's 409 saying the file differs, and
// nothing is written; the reviewed file applies; the same revision again
// exits 1 because the state moved.
func TestPolicyApplyAtAReviewedRevisionThroughTheCLI(t *testing.T) {
	url := realServer(t)
	admin := apiKey(t, "admin")
	publisher := strings.ToLower("reviewed-" + domain.NewID().String()[24:])
	reviewed := "version: 1\nblocklist:\n  - {pattern_type: publisher, pattern: " + publisher + ", reason: malware}\n"
	file := writePolicyFile(t, reviewed)
	code, out, errOut := policyCLI(t, url, admin, "plan", "-f", file, "--json")
	var plan struct{ Revision string }
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 2 || plan.Revision == "" {
		t.Fatalf("plan --json: exit %d %v\n%s%s", code, err, out, errOut)
	}

	// Someone edits the file after the review.
	if err := os.WriteFile(file, []byte(strings.Replace(reviewed, "malware", "nothing to see", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = policyCLI(t, url, admin, "apply", "-f", file, "--revision", plan.Revision)
	if code != 1 || !strings.Contains(errOut, "the server answered 409") || !strings.Contains(errOut, "differs from the one planned") {
		t.Fatalf("apply of an edited file at the reviewed revision: exit %d, want 1 and the 409\n%s%s", code, out, errOut)
	}
	if _, _, found := blocklistEntry(t, url, admin, publisher); found {
		t.Fatal("the edited file was applied")
	}

	if err := os.WriteFile(file, []byte(reviewed), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = policyCLI(t, url, admin, "apply", "-f", file, "--revision", plan.Revision)
	if code != 0 || !strings.Contains(out, "Applied 1 change(s)") {
		t.Fatalf("apply of the reviewed file: exit %d\n%s%s", code, out, errOut)
	}
	if reason, _, found := blocklistEntry(t, url, admin, publisher); !found || reason != "malware" {
		t.Fatalf("after apply the server holds found=%v reason=%q", found, reason)
	}
	code, _, errOut = policyCLI(t, url, admin, "apply", "-f", file, "--revision", plan.Revision)
	if code != 1 || !strings.Contains(errOut, "the server answered 409") || !strings.Contains(errOut, "changed since this plan") {
		t.Fatalf("the reviewed revision again: exit %d, want 1 and the 409\n%s", code, errOut)
	}
	if code, out, _ := policyCLI(t, url, admin, "apply", "-f", file); code != 0 || !strings.Contains(out, "Nothing to apply") {
		t.Fatalf("apply (plan, then apply) of the applied file: exit %d\n%s", code, out)
	}
}

// TestPolicyCommandsPrintEveryProblemOfABadFile: a file with a problem of
// each stage (the parser's, a reference to nothing, a private download
// URL) exits 1 with all of them on stderr, each by its path in the file,
// from plan and from apply, and writes nothing.
func TestPolicyCommandsPrintEveryProblemOfABadFile(t *testing.T) {
	url := realServer(t)
	admin := apiKey(t, "admin")
	name := strings.ToLower("stages-" + domain.NewID().String()[24:])
	file := writePolicyFile(t, fmt.Sprintf(`version: 1
groups:
  - {name: %[1]s, settings: {mode: strict}}
catalog:
  - {extension_id: %[1]s.tool, marketplace_url: "http://10.1.2.3/x.vsix"}
assignments:
  - {group: %[1]s-nobody, extension_id: %[1]s.tool}
blocklist:
  - {pattern_type: regex, pattern: "a)|(b"}
  - {pattern_type: publisher, pattern: %[1]s}
`, name))
	want := []string{"groups[0].settings.mode", "blocklist[0].pattern", "assignments[0].group", "catalog[0].marketplace_url"}
	for _, cmd := range []string{"plan", "apply"} {
		code, out, errOut := policyCLI(t, url, admin, cmd, "-f", file)
		if code != 1 || out != "" || !strings.Contains(errOut, "the server answered 400") {
			t.Fatalf("%s of a bad file: exit %d, want 1\n%s%s", cmd, code, out, errOut)
		}
		for _, path := range want {
			if !strings.Contains(errOut, "\n  "+path+": ") {
				t.Errorf("%s of a bad file does not print %s:\n%s", cmd, path, errOut)
			}
		}
	}
	if _, _, found := blocklistEntry(t, url, admin, name); found {
		t.Fatal("a bad file's valid entry was applied")
	}
}

// TestPolicyCommandsApplyEverySectionAgainstARealServer: a file with all
// four sections (a group with its settings, a catalog entry, its
// assignment to that group, a block) plans one create per resource with
// exit 2, applies them with exit 0 as one change set, then plans nothing
// (exit 0) and exports them back; a change of the group's settings alone
// then plans as one change.
func TestPolicyCommandsApplyEverySectionAgainstARealServer(t *testing.T) {
	url := realServer(t)
	admin := apiKey(t, "admin")
	name := strings.ToLower("sections-" + domain.NewID().String()[24:])
	body := func(mode string) string {
		return fmt.Sprintf(`version: 1
groups:
  - {name: %[1]s, description: every section, settings: {mode: %[2]s, enforcement: enforce, heartbeat_interval_s: 120}}
catalog:
  - {extension_id: %[1]s.tool, pinned_version: 1.2.3}
assignments:
  - {group: %[1]s, extension_id: %[1]s.tool, required: true}
blocklist:
  - {pattern_type: publisher, pattern: %[1]s-evil, reason: malware}
`, name, mode)
	}
	file := writePolicyFile(t, body("allowlist"))
	code, out, errOut := policyCLI(t, url, admin, "plan", "-f", file, "--json")
	var plan struct {
		Changes []struct{ Resource, Key, Action string } `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 2 {
		t.Fatalf("plan: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	var got []string
	for _, c := range plan.Changes {
		got = append(got, c.Action+" "+c.Resource)
	}
	if strings.Join(got, ", ") != "create group, create catalog, create assignment, create blocklist" {
		t.Fatalf("plan of every section: %v\n%s", got, out)
	}
	code, out, errOut = policyCLI(t, url, admin, "apply", "-f", file)
	if code != 0 || !strings.Contains(out, "Applied 4 change(s) as change set") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := policyCLI(t, url, admin, "plan", "-f", file); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after apply: exit %d, want 0\n%s%s", code, out, errOut)
	}
	code, out, _ = policyCLI(t, url, admin, "export")
	for _, want := range []string{"name: " + name, "extension_id: " + name + ".tool", "pinned_version: 1.2.3", "group: " + name, "pattern: " + name + "-evil", "heartbeat_interval_s: 120"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("export: exit %d, %q missing\n%s", code, want, out)
		}
	}
	moved := writePolicyFile(t, body("blocklist"))
	code, out, errOut = policyCLI(t, url, admin, "plan", "-f", moved, "--json")
	plan.Changes = nil
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 2 || len(plan.Changes) != 1 ||
		plan.Changes[0].Resource != "group" || plan.Changes[0].Action != "change" || plan.Changes[0].Key != name {
		t.Fatalf("plan of a settings change: exit %d, %v, want one change of group %s\n%s%s", code, err, name, out, errOut)
	}
}
