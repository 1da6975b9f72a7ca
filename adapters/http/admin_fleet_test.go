package httpapi_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

func TestAdminInvestigationComplianceAndAgents(t *testing.T) {
	e := newAdminEnv(t)
	f, err := pgtest.SeedFleet(context.Background(), pgtest.DSN(t), pgtest.Fleet{Groups: 3, Agents: 300, ExtensionsPerAgent: 10, Distinct: 50})
	if err != nil {
		t.Fatal(err)
	}
	publisher, _, _ := strings.Cut(f.Rare, ".")
	for _, q := range []string{"extension_id=" + f.Rare, "publisher=" + publisher, "pattern=" + url.QueryEscape(publisher[:len(publisher)-2]+"*.pa?k"),
		"pattern=" + url.QueryEscape(publisher+`\.p[a-z]+k`) + "&pattern_type=regex"} {
		page := e.as(user.RoleViewer, "GET", "/api/v1/installations?"+q, "")
		if page.status != 200 {
			t.Fatalf("?%s: %d %s", q, page.status, page.body)
		}
		items := page.json(t)["items"].([]any)
		if len(items) != f.RareAgents {
			t.Fatalf("?%s: %d installations, want %d", q, len(items), f.RareAgents)
		}
		it := items[0].(map[string]any)
		for _, k := range []string{"agent_id", "group_id", "machine_id", "display_name", "extension_id", "version", "editor", "reported_at"} {
			if _, ok := it[k]; !ok {
				t.Fatalf("installation lacks %s: %v", k, it)
			}
		}
	}
	for _, q := range []string{"", "extension_id=a.b&publisher=a", "pattern=" + url.QueryEscape("a)|(b") + "&pattern_type=regex", "extension_id=" + url.QueryEscape("NOT AN ID"), "group_id=x&extension_id=a.b"} {
		if a := e.as(user.RoleViewer, "GET", "/api/v1/installations?"+q, ""); a.status != 400 {
			t.Errorf("?%s: %d, want 400", q, a.status)
		}
	}

	g := f.GroupIDs[0].String()
	c := e.must(200, "GET", "/api/v1/groups/"+g+"/compliance", "")
	if c["agents"].(float64) != 100 || c["non_compliant"].(float64) != 10 || c["compliant"].(float64) != 90 {
		t.Fatalf("group compliance: %v", c)
	}
	if kinds := c["violations_by_kind"].([]any); len(kinds) == 0 || kinds[0].(map[string]any)["kind"] != "blocked" {
		t.Fatalf("violations by kind: %v", kinds)
	}
	if top := c["top_offenders"].([]any); len(top) == 0 || top[0].(map[string]any)["extension_id"] != f.Rare {
		t.Fatalf("top offenders: %v", top)
	}
	if fleet := e.must(200, "GET", "/api/v1/compliance", ""); fleet["group_id"] != nil || fleet["agents"].(float64) < 300 {
		t.Fatalf("fleet compliance: %v", fleet)
	}

	agents := e.must(200, "GET", "/api/v1/agents?group_id="+g+"&status=active&limit=500", "")["items"].([]any)
	if len(agents) != 80 { // 8 in 10 are active, see SeedFleet
		t.Fatalf("%d active agents in the group, want 80", len(agents))
	}
	// The first agent of the first group has the rare extension installed.
	first := e.must(200, "GET", "/api/v1/installations?extension_id="+f.Rare+"&group_id="+g, "")["items"].([]any)[0].(map[string]any)
	agentID := first["agent_id"].(string)
	detail := e.must(200, "GET", "/api/v1/agents/"+agentID, "")
	if len(detail["inventory"].([]any)) != 10 || detail["verdict"].(map[string]any)["compliant"] != false {
		t.Fatalf("agent detail: %v", detail)
	}
	if a := e.as(user.RoleEditor, "DELETE", "/api/v1/agents/"+agentID, ""); a.status != 403 {
		t.Fatalf("editor decommissions: %d", a.status)
	}
	e.must(204, "DELETE", "/api/v1/agents/"+agentID, "")
	e.must(404, "DELETE", "/api/v1/agents/"+agentID, "")
	if e.must(200, "GET", "/api/v1/agents/"+agentID, "")["status"] != "decommissioned" {
		t.Fatal("decommissioned agent status")
	}
	if n := len(e.must(200, "GET", "/api/v1/installations?extension_id="+f.Rare+"&group_id="+g, "")["items"].([]any)); n != 0 {
		t.Fatalf("a decommissioned agent still counts as having it: %d", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.decommissioned' AND target_id = ? AND group_id = ?`, agentID, g); n != 1 {
		t.Fatal("decommissioning is audited")
	}

	// Report history, newest first, paginated.
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := 0; i < 5; i++ {
		e.exec(`INSERT INTO reports (id, agent_id, group_id, extension_id, installed, installed_version, reported_at, editor, client_ip)
			VALUES (?, ?, ?, ?, true, '1.0.0', ?, 'vscode', '10.0.0.1')`, domain.NewID().String(), agentID, g, f.Rare, base.Add(time.Duration(i)*time.Minute))
	}
	page := e.must(200, "GET", "/api/v1/reports?agent_id="+agentID+"&limit=3", "")
	items := page["items"].([]any)
	if len(items) != 3 || page["next_cursor"] == nil || items[0].(map[string]any)["reported_at"] != base.Add(4*time.Minute).Format(time.RFC3339) {
		t.Fatalf("reports page: %v", page)
	}
	rest := e.must(200, "GET", "/api/v1/reports?agent_id="+agentID+"&limit=3&cursor="+url.QueryEscape(page["next_cursor"].(string)), "")
	if len(rest["items"].([]any)) != 2 || rest["next_cursor"] != nil {
		t.Fatalf("second page: %v", rest)
	}
	if a := e.as(user.RoleViewer, "GET", "/api/v1/reports?since=yesterday", ""); a.status != 400 {
		t.Fatalf("bad since: %d", a.status)
	}
}

func TestAdminAuditLogQuery(t *testing.T) {
	e := newAdminEnv(t)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("audited")+`"}`)["id"].(string)
	for i := 0; i < 3; i++ {
		e.must(200, "PATCH", "/api/v1/groups/"+g, `{"description":"v`+string(rune('0'+i))+`"}`)
	}
	path := "/api/v1/audit-log?event_type=group.updated&target_id=" + g + "&limit=2"
	p1 := e.call("GET", path, e.tokens[user.RoleAuditor], "")
	if p1.status != 200 {
		t.Fatalf("auditor reads the audit log: %d %s", p1.status, p1.body)
	}
	doc := p1.json(t)
	items := doc["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["details"].(map[string]any)["after"].(map[string]any)["description"] != "v2" {
		t.Fatalf("newest first: %v", doc)
	}
	p2 := e.must(200, "GET", path+"&cursor="+url.QueryEscape(doc["next_cursor"].(string)), "")
	if len(p2["items"].([]any)) != 1 || p2["next_cursor"] != nil {
		t.Fatalf("second page: %v", p2)
	}
	ev := items[0].(map[string]any)
	if ev["actor_type"] != "user" || ev["actor_id"] == nil || ev["user_agent"] != "extguard-admin-test" || ev["group_id"] != g {
		t.Fatalf("audit event: %v", ev)
	}
	for _, q := range []string{"event_type=no.such", "actor_id=x", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z"} {
		if a := e.as(user.RoleAuditor, "GET", "/api/v1/audit-log?"+q, ""); a.status != 400 {
			t.Errorf("?%s: %d, want 400", q, a.status)
		}
	}
}

// TestOpenAPIDescribesEveryRoute fails when a route is served that the
// document does not describe, or the document describes one not served.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newAdminEnv(t)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	a := e.call("GET", "/api/v1/openapi.json", "", "")
	if a.status != 200 || jsonUnmarshal(a.body, &doc) != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %d %.200s", a.status, a.body)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
			if op["x-extguard-permission"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks its permission or responses", method, path)
			}
		}
	}
	served := map[string]bool{}
	// The agent protocol is mounted by its own module; the document
	// describes both.
	routes := append(e.app.GetRoutes(true), newAgentEnv(t, envOptions{}).app.GetRoutes(true)...)
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == fiber.MethodHead {
			continue
		}
		path := r.Path
		for _, p := range r.Params {
			path = strings.Replace(path, ":"+p, "{"+p+"}", 1)
		}
		served[r.Method+" "+path] = true
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("served but undocumented: %v\ndocumented but not served: %v", missing, extra)
	}
	if len(served) < 40 {
		t.Fatalf("only %d routes seen; the check would pass vacuously", len(served))
	}
}
