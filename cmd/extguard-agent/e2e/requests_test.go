package e2e

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
)

// hookRecorder is a webhook endpoint that keeps every body it receives.
type hookRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// has reports whether a delivery names both the event type and the request.
func (h *hookRecorder) has(event, requestID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.bodies {
		if strings.Contains(b, `"`+event+`"`) && strings.Contains(b, requestID) {
			return true
		}
	}
	return false
}

// agentCommand runs the real agent binary with args, the key in the environment.
func agentCommand(t *testing.T, bin, key string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "extguard-agent"), args...)
	cmd.Env = append(os.Environ(), "EXTGUARD_KEY="+key)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		t.Fatalf("extguard-agent %v: %v\n%s", args, err, out)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestRequestApprovedUntilItExpires is issue 22's scenario on the real
// binaries (`extguard all` with its workers on PostgreSQL and Redis, the
// agent binary): an agent in an enforce allowlist group requests an
// unassigned extension, an admin approves it for that agent for a few
// seconds, the agent is compliant with it installed while another agent of
// the group is told to uninstall it, after expiry (the worker's pass, every
// second here) the agent uninstalls it, and the audit log and a webhook
// have every step; a request for a blocked extension cannot be approved.
func TestRequestApprovedUntilItExpires(t *testing.T) {
	bin := makeBuild(t)
	hooks := &hookRecorder{}
	receiver := httptest.NewTLSServer(hooks) // webhooks are https only
	t.Cleanup(receiver.Close)
	caFile := filepath.Join(t.TempDir(), "receiver.pem")
	must(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: receiver.Certificate().Raw}), 0o644))
	base := startServer(t, bin, "EXTGUARD_EXPIRY_SCAN_INTERVAL=1s", "EXTGUARD_OUTBOUND_ALLOW_PRIVATE=true",
		"SSL_CERT_FILE="+caFile) // the server trusts the receiver's certificate, and only it
	token := login(t, base)

	call(t, base, token, "POST", "/api/v1/webhooks", `{"url":"`+receiver.URL+`/hook","event_types":["extension_request.created",`+
		`"extension_request.approved","extension_request.denied","extension_request.expired"]}`, 201, nil)
	var grp struct{ ID string }
	call(t, base, token, "POST", "/api/v1/groups",
		`{"name":"e2e-requests","settings":{"mode":"allowlist","enforcement":"enforce","heartbeat_interval_s":30}}`, 201, &grp)
	var key struct{ Key string }
	call(t, base, token, "POST", "/api/v1/groups/"+grp.ID+"/api-keys", `{"name":"e2e agents","scopes":["agent"]}`, 201, &key)

	home := t.TempDir()
	writeExtension(t, home, "dev", "tool", "1.0.0")
	writeExtensionsJSON(t, home, "dev.tool-1.0.0")
	cliLog := installStandInCLI(t, home)
	stateDir := t.TempDir()
	flags := []string{"--server", base, "--home", home, "--state-dir", stateDir}

	// 1. The developer asks (the agent enrolls on the way); asking again shows the pending one.
	code, out := agentCommand(t, bin, key.Key, append([]string{"request", "dev.tool", "--reason", "the build needs it"}, flags...)...)
	if code != 0 || !strings.Contains(out, "is pending") {
		t.Fatalf("request: exit %d\n%s", code, out)
	}
	if code, out := agentCommand(t, bin, key.Key, append([]string{"request", "dev.tool", "--reason", "again"}, flags...)...); code != 0 ||
		!strings.Contains(out, "already requested") {
		t.Fatalf("second request: exit %d\n%s", code, out)
	}
	var queue struct{ Items []map[string]any }
	call(t, base, token, "GET", "/api/v1/requests?status=pending&group_id="+grp.ID, "", 200, &queue)
	if len(queue.Items) != 1 || queue.Items[0]["extension_id"] != "dev.tool" {
		t.Fatalf("queue: %v", queue.Items)
	}
	reqID := queue.Items[0]["id"].(string)

	// 2. The admin approves it for this agent for a few seconds.
	expires := time.Now().Add(6 * time.Second).UTC()
	call(t, base, token, "POST", "/api/v1/requests/"+reqID+"/approve",
		`{"scope":"agent","expires_at":"`+expires.Format(time.RFC3339Nano)+`","note":"until the release"}`, 200, nil)

	// 3. The agent is compliant with it installed; another agent of the group is told to uninstall it.
	if code, out := runAgentOnce(t, bin, base, key.Key, home, stateDir); code != agent.ExitCompliant {
		t.Fatalf("pass with the exception: exit %d\n%s", code, out)
	}
	if log, _ := os.ReadFile(cliLog); strings.Contains(string(log), "--uninstall-extension dev.tool") {
		t.Fatalf("the excepted extension was uninstalled:\n%s", log)
	}
	var other struct {
		AgentID string `json:"agent_id"`
	}
	agentCall(t, base, key.Key, "", "/api/v1/agent/enroll", `{"machine_id":"other-machine","user_hash":"`+strings.Repeat("ab", 32)+`","platform":"linux-x64","agent_version":"1.0.0"}`, 201, &other)
	var verdict struct {
		Compliant bool
		Actions   []struct {
			Action      string `json:"action"`
			ExtensionID string `json:"extension_id"`
		}
	}
	agentCall(t, base, key.Key, other.AgentID, "/api/v1/agent/reports", `{"reported_at":"`+time.Now().UTC().Format(time.RFC3339)+
		`","extensions":[{"extension_id":"dev.tool","installed":true,"version":"1.0.0","editor":"vscode"}]}`, 200, &verdict)
	if verdict.Compliant || len(verdict.Actions) != 1 || verdict.Actions[0].Action != "uninstall" {
		t.Fatalf("other agent: %+v", verdict)
	}
	code, out = agentCommand(t, bin, key.Key, append([]string{"requests"}, flags...)...)
	if code != 0 || !strings.Contains(out, "approved") || !strings.Contains(out, "until the release") {
		t.Fatalf("requests: exit %d\n%s", code, out)
	}

	// 4. After expiry the worker's pass ends it; the agent's next pass uninstalls.
	waitFor(t, "the request to expire", 30*time.Second, func() bool {
		var r struct{ Items []map[string]any }
		call(t, base, token, "GET", "/api/v1/requests?status=expired&group_id="+grp.ID, "", 200, &r)
		return len(r.Items) == 1
	})
	if code, out := runAgentOnce(t, bin, base, key.Key, home, stateDir); code != agent.ExitCompliant {
		t.Fatalf("pass after expiry: exit %d, want compliant after enforcement\n%s", code, out)
	}
	if log, _ := os.ReadFile(cliLog); !strings.Contains(string(log), "--uninstall-extension dev.tool") {
		t.Fatalf("dev.tool was not uninstalled after expiry; calls:\n%s", log)
	}

	// 5. Blocks win: a request for a blocked extension cannot be approved.
	call(t, base, token, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"evil","reason":"malware"}`, 201, nil)
	if code, out := agentCommand(t, bin, key.Key, append([]string{"request", "evil.pack", "--reason", "please"}, flags...)...); code != 0 {
		t.Fatalf("request evil.pack: exit %d\n%s", code, out)
	}
	call(t, base, token, "GET", "/api/v1/requests?status=pending&extension_id=evil.pack", "", 200, &queue)
	if len(queue.Items) != 1 {
		t.Fatalf("evil.pack queue: %v", queue.Items)
	}
	call(t, base, token, "POST", "/api/v1/requests/"+queue.Items[0]["id"].(string)+"/approve", `{"scope":"agent"}`, 409, nil)

	// 6. The audit log and the webhook have every step.
	var auditLog struct{ Items []map[string]any }
	call(t, base, token, "GET", "/api/v1/audit-log?target_id="+reqID+"&limit=50", "", 200, &auditLog)
	seen := map[string]bool{}
	for _, e := range auditLog.Items {
		seen[e["event_type"].(string)] = true
	}
	steps := []string{"extension_request.created", "extension_request.approved", "extension_request.expired"}
	for _, s := range steps {
		if !seen[s] {
			t.Errorf("audit log lacks %s for the request (has %v)", s, seen)
		}
	}
	waitFor(t, "the webhook deliveries", 30*time.Second, func() bool {
		for _, s := range steps {
			if !hooks.has(s, reqID) {
				return false
			}
		}
		return true
	})
}

// agentCall is one agent-protocol request with the key (and agent id).
func agentCall(t *testing.T, base, key, agentID, path, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if agentID != "" {
		req.Header.Set("X-Agent-ID", agentID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, b)
		}
	}
}
