// Package e2e runs the headline scenario end to end: a real `extguard all`
// on a fresh PostgreSQL database and the test's own Redis, an admin driving
// it through the admin API, and the real agent binary (`run --once` at a
// time) reporting a fixture home directory and enforcing through a stand-in
// editor command line. Both binaries come from `make build`, so what is
// tested is what a user builds, version stamp included.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
)

const (
	adminEmail    = "secops@example.com"
	adminPassword = "correct-horse-battery-staple"
)

func TestHeadlineScenario(t *testing.T) {
	bin := makeBuild(t)
	version := stampedVersion(t)
	base := startServer(t, bin)
	token := login(t, base)

	var grp struct{ ID string }
	call(t, base, token, "POST", "/api/v1/groups",
		`{"name":"e2e-devs","settings":{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":30}}`, 201, &grp)
	var key struct{ Key string }
	call(t, base, token, "POST", "/api/v1/groups/"+grp.ID+"/api-keys", `{"name":"e2e agents","scopes":["agent"]}`, 201, &key)

	home := t.TempDir()
	writeExtension(t, home, "ms-python", "python", "2024.2.1")
	writeExtension(t, home, "evil", "pack", "0.0.3")
	writeExtensionsJSON(t, home, "ms-python.python-2024.2.1", "evil.pack-0.0.3")
	cliLog := installStandInCLI(t, home)
	stateDir := t.TempDir()

	// 1. Nothing is blocked yet: the agent enrolls, reports, and is compliant.
	if code, out := runAgentOnce(t, bin, base, key.Key, home, stateDir); code != agent.ExitCompliant {
		t.Fatalf("first pass: exit %d, want compliant:\n%s", code, out)
	}
	evil := installations(t, base, token, "evil.pack")
	if len(evil) != 1 || evil[0]["version"] != "0.0.3" || evil[0]["editor"] != "vscode" || evil[0]["group_id"] != grp.ID {
		t.Fatalf("who has evil.pack: %v", evil)
	}

	// 2. The security admin blocks the publisher; the agent's next pass sees
	// the new policy, uninstalls through the editor's own CLI and reports.
	call(t, base, token, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"evil","reason":"malware, advisory 2026-11"}`, 201, nil)
	code, out := runAgentOnce(t, bin, base, key.Key, home, stateDir)
	if code != agent.ExitCompliant {
		t.Fatalf("second pass: exit %d, want compliant after enforcement:\n%s", code, out)
	}
	if log, _ := os.ReadFile(cliLog); !strings.Contains(string(log), "--uninstall-extension evil.pack") {
		t.Fatalf("the editor CLI was not asked to uninstall evil.pack; calls:\n%s", log)
	}
	if left := installations(t, base, token, "evil.pack"); len(left) != 0 {
		t.Fatalf("evil.pack still installed according to the server: %v", left)
	}
	if python := installations(t, base, token, "ms-python.python"); len(python) != 1 {
		t.Fatalf("ms-python.python: %v", python)
	}

	// 3. The agent's detail carries its inventory and a compliant verdict.
	agentID := evil[0]["agent_id"].(string)
	var detail map[string]any
	call(t, base, token, "GET", "/api/v1/agents/"+agentID, "", 200, &detail)
	verdict, _ := detail["verdict"].(map[string]any)
	if verdict == nil || verdict["compliant"] != true {
		t.Fatalf("agent verdict: %v", detail["verdict"])
	}
	// The server keeps the version the build stamped, which is the one
	// scripts/version.sh computes for this checkout, never the default "dev".
	if v := detail["agent_version"]; v != version || version == "dev" {
		t.Fatalf("agent_version %v, want the stamped %q", v, version)
	}

	// 4. Every step is in the audit log.
	var audit struct{ Items []map[string]any }
	call(t, base, token, "GET", "/api/v1/audit-log?limit=500", "", 200, &audit)
	seen := map[string]bool{}
	for _, e := range audit.Items {
		seen[fmt.Sprint(e["event_type"])] = true
	}
	for _, want := range []string{"group.created", "api_key.created", "agent.enrolled", "blocklist.created"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s (has %v)", want, seen)
		}
	}
}

// runAgentOnce runs `extguard-agent run --once` as a user would, the key in
// the environment (never on a command line others can read).
func runAgentOnce(t *testing.T, bin, base, key, home, stateDir string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "extguard-agent"), "run", "--once",
		"--server", base, "--home", home, "--state-dir", stateDir)
	cmd.Env = append(os.Environ(), "EXTGUARD_KEY="+key)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("extguard-agent: %v\n%s", err, out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// repoRoot is the module's directory, where the Makefile is.
const repoRoot = "../../.."

// makeBuild runs `make build` into a directory of the test's own.
func makeBuild(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	if out, err := exec.Command("make", "-s", "-C", repoRoot, "BIN="+bin, "build").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	return bin
}

func stampedVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot, "scripts", "version.sh")).Output()
	if err != nil {
		t.Fatalf("scripts/version.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// startServer starts `extguard all` on a database that does not exist yet;
// the process and the database go away with the test. env adds variables.
func startServer(t *testing.T, bin string, env ...string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(filepath.Join(bin, "extguard"), "all")
	cmd.Env = append(os.Environ(),
		"EXTGUARD_DATABASE_URL="+pgtest.UnusedDatabaseURL(t),
		"EXTGUARD_REDIS_URL="+redistest.URL(t),
		"EXTGUARD_HTTP_ADDR="+addr,
		"EXTGUARD_ADMIN_EMAIL="+adminEmail,
		"EXTGUARD_ADMIN_PASSWORD="+adminPassword,
		"EXTGUARD_HEARTBEAT_FLUSH_INTERVAL=200ms",
		"EXTGUARD_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, env...)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("extguard logs:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
	}
	t.Fatalf("extguard never became ready:\n%s", logs.String())
	return ""
}

func login(t *testing.T, base string) string {
	t.Helper()
	var s struct{ Token string }
	call(t, base, "", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPassword), 200, &s)
	if s.Token == "" {
		t.Fatal("login answered no token")
	}
	return s.Token
}

func installations(t *testing.T, base, token, id string) []map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	call(t, base, token, "GET", "/api/v1/installations?extension_id="+id, "", 200, &page)
	return page.Items
}

func call(t *testing.T, base, token, method, path, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func writeExtension(t *testing.T, home, publisher, name, version string) {
	t.Helper()
	dir := filepath.Join(home, ".vscode", "extensions", publisher+"."+name+"-"+version)
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	pkg := fmt.Sprintf(`{"name":%q,"publisher":%q,"version":%q,"main":"./out/main.js"}`, name, publisher, version)
	must(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "out", "main.js"), []byte("exports.activate = () => {};\n"), 0o644))
}

func writeExtensionsJSON(t *testing.T, home string, folders ...string) {
	t.Helper()
	var entries []map[string]any
	for _, f := range folders {
		i := strings.LastIndex(f, "-")
		entries = append(entries, map[string]any{
			"identifier":       map[string]any{"id": f[:i]},
			"version":          f[i+1:],
			"relativeLocation": f,
			"location":         map[string]any{"$mid": 1, "path": filepath.Join(home, ".vscode", "extensions", f), "scheme": "file"},
		})
	}
	b, _ := json.Marshal(entries)
	must(t, os.WriteFile(filepath.Join(home, ".vscode", "extensions", "extensions.json"), b, 0o644))
}

// installStandInCLI puts a `code` first on PATH that records its arguments
// and, for an uninstall, removes the extension's folder as the editor would.
func installStandInCLI(t *testing.T, home string) string {
	t.Helper()
	bin := t.TempDir()
	logFile := filepath.Join(bin, "calls.log")
	script := fmt.Sprintf(`#!/bin/sh
echo "$@" >> %q
if [ "$1" = "--uninstall-extension" ]; then rm -rf %q/"$2"-*; fi
exit 0
`, logFile, filepath.Join(home, ".vscode", "extensions"))
	must(t, os.WriteFile(filepath.Join(bin, "code"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return logFile
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
