package httpapi_test

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestEveryListRefusesACursorItDidNotHandOut walks the OpenAPI document, so
// a list added later is covered without touching this test: each route
// with a cursor parameter answers 400 naming "cursor" for garbage, for a raw
// id (what API keys once took) and for JSON of the wrong shape.
func TestEveryListRefusesACursorItDidNotHandOut(t *testing.T) {
	e := newAdminEnv(t)
	gid := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("paged")+`"}`)["id"].(string)
	wid := e.must(201, "POST", "/api/v1/webhooks", `{"url":"https://siem.example.com/paged"}`)["id"].(string)
	fid := e.must(201, "POST", "/api/v1/threat-feeds", `{"name":"`+uniqueName("paged")+`","kind":"extguard","mode":"alert"}`)["id"].(string)
	ids := map[string]string{"/api/v1/groups/{id}/": gid, "/api/v1/webhooks/{id}/": wid, "/api/v1/threat-feeds/{id}/": fid,
		"/api/v1/agents/{id}/": "0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f"} // the cursor is checked before the agent
	// Filters a route needs before it pages; the pattern matches nothing,
	// which must not skip the cursor check.
	needs := map[string]string{"/api/v1/installations": "pattern=nothing-matches-this.*&",
		"/api/v1/agents/0190a5e4-7c1b-7d2e-9f00-1a2b3c4d5e6f/inventory": "at=2026-01-01T00:00:00Z&", "/api/v1/exposure": "extension_id=a.b&"}

	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name string } `json:"parameters"`
		} `json:"paths"`
	}
	if a := e.call("GET", "/api/v1/openapi.json", "", ""); a.status != 200 || jsonUnmarshal(a.body, &doc) != nil {
		t.Fatalf("document: %d", a.status)
	}
	garbage := []string{"garbage", "!!!", base64.RawURLEncoding.EncodeToString([]byte(`{}`)), gid,
		base64.RawURLEncoding.EncodeToString([]byte(`[true]`)), base64.RawURLEncoding.EncodeToString([]byte(`["x","y","z"]`))}
	lists := 0
	for path, ops := range doc.Paths {
		get, ok := ops["get"]
		if !ok || !slices.ContainsFunc(get.Parameters, func(p struct{ Name string }) bool { return p.Name == "cursor" }) {
			continue
		}
		if strings.HasPrefix(path, "/api/v1/agent/") { // an agent key's; TestRequestLimitPerAgent checks its cursor
			continue
		}
		lists++
		for prefix, id := range ids {
			path = strings.Replace(path, prefix, strings.Replace(prefix, "{id}", id, 1), 1)
		}
		if strings.Contains(path, "{") {
			t.Fatalf("%s: the test has no resource for this path", path)
		}
		for _, c := range garbage {
			a := e.as("admin", "GET", path+"?"+needs[path]+"cursor="+url.QueryEscape(c), "")
			if a.status != 400 || !slices.Contains(problemFields(t, a), "cursor") {
				t.Errorf("GET %s cursor %q: %d %s, want 400 naming cursor", path, c, a.status, a.body)
			}
		}
	}
	if lists < 12 {
		t.Fatalf("only %d lists in the document; the walk would prove little", lists)
	}
}
