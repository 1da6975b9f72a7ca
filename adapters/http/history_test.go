package httpapi_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// The time-travel routes answer from the history, validated against the
// OpenAPI document like every answer, readable by viewers, and refuse bad
// input naming the field.
func TestTimeTravelInventoryAtAndExposure(t *testing.T) {
	e := newAdminEnv(t)
	gid := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("history")+`"}`)["id"].(string)
	agentID := domain.NewID().String()
	e.exec(`INSERT INTO agents (id, group_id, machine_id, user_hash, platform, agent_version, status)
		VALUES (?, ?, 'm-history-http', 'u', 'linux-x64', '1', 'active')`, agentID, gid)
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ext := "bad-" + domain.NewID().String()[:8] + ".ext"
	for i, row := range []struct {
		installed bool
		version   any
	}{{true, "1.4.2"}, {false, "1.4.2"}} {
		e.exec(`INSERT INTO reports (agent_id, group_id, extension_id, installed, installed_version, reported_at, editor)
			VALUES (?, ?, ?, ?, ?, ?, 'vscode')`, agentID, gid, ext, row.installed, row.version, t0.Add(time.Duration(i)*10*time.Minute))
	}
	at := url.QueryEscape(t0.Add(5 * time.Minute).Format(time.RFC3339))
	inv := e.as(user.RoleViewer, "GET", "/api/v1/agents/"+agentID+"/inventory?at="+at, "")
	if inv.status != 200 {
		t.Fatalf("inventory at: %d %s", inv.status, inv.body)
	}
	items := inv.json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["version"] != "1.4.2" {
		t.Fatalf("inventory at t+5m: %v", items)
	}
	later := url.QueryEscape(t0.Add(15 * time.Minute).Format(time.RFC3339))
	if items := e.must(200, "GET", "/api/v1/agents/"+agentID+"/inventory?at="+later, "")["items"].([]any); len(items) != 0 {
		t.Fatalf("inventory after the removal: %v", items)
	}
	exp := e.as(user.RoleViewer, "GET", "/api/v1/exposure?extension_id="+ext+"&version=1.4.2&since="+at+"&until="+later, "")
	if exp.status != 200 {
		t.Fatalf("exposure: %d %s", exp.status, exp.body)
	}
	got := exp.json(t)["items"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["agent_id"] != agentID || got[0].(map[string]any)["still_installed"] != false {
		t.Fatalf("exposure: %v", got)
	}
	e.must(404, "GET", "/api/v1/agents/"+domain.NewID().String()+"/inventory?at="+at, "")
	// Without at: now, after the removal.
	if items := e.must(200, "GET", "/api/v1/agents/"+agentID+"/inventory", "")["items"].([]any); len(items) != 0 {
		t.Fatalf("inventory now: %v", items)
	}
	for path, field := range map[string]string{
		"/api/v1/agents/" + agentID + "/inventory?at=yesterday": "at",
		"/api/v1/exposure": "extension_id",
		"/api/v1/exposure?extension_id=a.b&publisher=a":                     "extension_id",
		"/api/v1/exposure?publisher=a&version=1.0.0":                        "version",
		"/api/v1/exposure?extension_id=a.b&since=" + later + "&until=" + at: "since",
	} {
		a := e.as(user.RoleViewer, "GET", path, "")
		if a.status != 400 || !slices.Contains(problemFields(t, a), field) {
			t.Errorf("GET %s: %d %s, want 400 naming %s", path, a.status, a.body, field)
		}
	}
}
