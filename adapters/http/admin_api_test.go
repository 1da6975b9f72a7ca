package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// sampleBody is a valid body for each request schema of the route table.
func sampleBody(schema string) string {
	u := strings.ToLower(domain.NewID().String()[24:])
	switch schema {
	case "LoginRequest":
		return `{"email":"nobody@example.com","password":"not the password"}`
	case "UserCreate":
		return `{"email":"u` + u + `@example.com","password":"` + testPassword + `","role":"viewer"}`
	case "UserPatch":
		return `{"display_name":"renamed"}`
	case "GroupCreate":
		return `{"name":"g-` + u + `"}`
	case "GroupPatch", "WebhookPatch":
		return `{"description":"changed"}`
	case "ExtensionCreate":
		return `{"extension_id":"pub.ext-` + u + `"}`
	case "ExtensionPatch":
		return `{"name":"renamed"}`
	case "AssignmentPut":
		return `{"is_required":true}`
	case "BlocklistCreate":
		return `{"pattern_type":"exact","pattern":"evil.x` + u + `"}`
	case "PolicyPlanRequest":
		return `{"file":"version: 1\nblocklist: []\n"}`
	case "PolicyApplyRequest":
		return `{"file":"version: 1\nblocklist: []\n","revision":"r-stale"}`
	case "PolicyLintRequest":
		return `{"content":"{\"*\": false, \"a.b\": \"latest\"}"}`
	case "BlocklistPatch":
		return `{"reason":"changed"}`
	case "APIKeyCreate":
		return `{"name":"ci","scopes":["agent"]}`
	case "WebhookCreate":
		return `{"url":"https://hooks.example.com/` + u + `"}`
	case "ExtensionRequestApproval":
		return `{"scope":"agent"}`
	case "ExtensionRequestDenial":
		return `{"note":"not needed"}`
	case "ThreatFeedCreate":
		return `{"name":"f-` + u + `","kind":"extguard","mode":"alert"}`
	case "AdvisorySuppressionCreate":
		return `{"group_id":"` + domain.NewID().String() + `","pattern_type":"exact","pattern":"a.b","reason":"accepted"}`
	case "RawFile":
		return `{"malicious":[]}`
	case "":
		return ""
	}
	panic("no sample body for " + schema)
}

// concrete fills the path's {params} with fresh (unknown) ids.
func concrete(path string) string {
	for strings.Contains(path, "{") {
		i, j := strings.Index(path, "{"), strings.Index(path, "}")
		path = path[:i] + domain.NewID().String() + path[j+1:]
	}
	return path
}

func splitKey(key string) (string, string) {
	m, p, _ := strings.Cut(key, " ")
	return m, p
}

// TestAdminEveryRouteForEveryRole walks the route table: each role is let
// through exactly where the route's permission allows it, and each refusal
// is a 403 that leaves an access.denied audit row naming the caller.
func TestAdminEveryRouteForEveryRole(t *testing.T) {
	e := newAdminEnv(t)
	for _, key := range e.admin.RouteKeys() {
		perm, _ := e.admin.RoutePermission(key)
		if perm == httpapi.PermPublic {
			continue
		}
		method, path := splitKey(key)
		for _, role := range httpapi.Roles {
			token := e.tokens[role]
			if path == "/api/v1/auth/logout" {
				token = e.loginNew(role) // logging out would end the shared token
			}
			body := ""
			for _, r := range schemaOf(e, key) {
				body = sampleBody(r)
			}
			before := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND details->>'route' = ?`, path)
			a := e.call(method, concrete(path), token, body)
			after := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND details->>'route' = ?`, path)
			if perm.Allows(role) {
				if a.status == 403 || a.status == 401 || a.status >= 500 {
					t.Errorf("%s as %s: %d, want it let through: %s", key, role, a.status, a.body)
				}
				continue
			}
			if a.status != 403 {
				t.Errorf("%s as %s: %d, want 403", key, role, a.status)
			}
			if after != before+1 {
				t.Errorf("%s as %s: %d access.denied rows written, want 1", key, role, after-before)
			}
		}
		if a := e.call(method, concrete(path), "", sampleBodyFor(e, key)); a.status != 401 {
			t.Errorf("%s without credentials: %d, want 401", key, a.status)
		}
	}
}

// schemaOf is the request schema of a route (none, or one).
func schemaOf(e *adminEnv, key string) []string {
	doc := e.admin.OpenAPI()
	method, path := splitKey(key)
	op := doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	rb, ok := op["requestBody"].(map[string]any)
	if !ok {
		return nil
	}
	ref, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
	if !ok {
		return []string{"RawFile"} // a file as it is (a feed's import)
	}
	return []string{strings.TrimPrefix(ref, "#/components/schemas/")}
}

func sampleBodyFor(e *adminEnv, key string) string {
	for _, s := range schemaOf(e, key) {
		return sampleBody(s)
	}
	return ""
}

// TestAdminBadInputOnEveryWriteRoute sends every route with a body the four
// ways bodies go wrong; each is a problem+json 400 (413 when oversized) that
// names the bad fields, and nothing is written.
func TestAdminBadInputOnEveryWriteRoute(t *testing.T) {
	e := newAdminEnv(t)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("bad-input")+`"}`)
	for _, key := range e.admin.RouteKeys() {
		schemas := schemaOf(e, key)
		if len(schemas) == 0 || schemas[0] == "RawFile" {
			continue // a raw file is the feed's to judge: TestThreatFeedBlocksEverywhereAndPagesTheExposure
		}
		method, path := splitKey(key)
		path = strings.ReplaceAll(path, "{id}", g["id"].(string))
		path = concrete(path)
		auditRows := e.count(`SELECT count(*) FROM audit_log WHERE event_type NOT IN ('user.login_failed', 'access.denied')`)
		cases := []struct {
			name, body string
			status     int
			field      string
		}{
			{"malformed", `{"name": `, 400, "body"},
			{"not an object", `[1,2]`, 400, "body"},
			{"unknown field", `{"surprise": 1}`, 400, "surprise"},
			{"oversized", `{"name":"` + strings.Repeat("a", httpapi.MaxAdminBodyBytes) + `"}`, 413, ""},
		}
		if f := wrongTypeField(schemas[0]); f != "" {
			cases = append(cases, struct {
				name, body string
				status     int
				field      string
			}{"wrong type", `{"` + f + `": {"nested": true}}`, 400, f})
		}
		for _, c := range cases {
			a := e.as(user.RoleAdmin, method, path, c.body)
			if a.status != c.status {
				t.Errorf("%s %s: %d, want %d: %s", key, c.name, a.status, c.status, a.body)
				continue
			}
			fields := problemFields(t, a)
			if c.field != "" && !contains(fields, c.field) {
				t.Errorf("%s %s: fields %v, want %q among them", key, c.name, fields, c.field)
			}
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type NOT IN ('user.login_failed', 'access.denied')`); n != auditRows {
			t.Errorf("%s: bad input wrote %d audit rows", key, n-auditRows)
		}
	}
}

// wrongTypeField is a field of each request schema that is not an object.
func wrongTypeField(schema string) string {
	switch schema {
	case "LoginRequest", "UserCreate", "UserPatch":
		return "email"
	case "AssignmentPut":
		return "is_required"
	case "BlocklistCreate", "BlocklistPatch":
		return "pattern"
	case "WebhookCreate", "WebhookPatch":
		return "url"
	case "APIKeyCreate":
		return "scopes"
	default:
		return "name"
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAdminUnknownIDs: every route with an id answers 404 for an id that
// does not exist, and 400 for one that is not a UUID.
func TestAdminUnknownIDs(t *testing.T) {
	e := newAdminEnv(t)
	for _, key := range e.admin.RouteKeys() {
		method, path := splitKey(key)
		if !strings.Contains(path, "{") {
			continue
		}
		body := sampleBodyFor(e, key)
		if strings.HasSuffix(path, "/api-keys") && method == "POST" {
			body = `{"name":"ci","scopes":["admin"]}`
		}
		if a := e.as(user.RoleAdmin, method, concrete(path), body); a.status != 404 {
			t.Errorf("%s with an unknown id: %d, want 404: %s", key, a.status, a.body)
		}
		bad := strings.ReplaceAll(path, "{id}", "not-a-uuid")
		if a := e.as(user.RoleAdmin, method, concrete(bad), body); a.status != 400 {
			t.Errorf("%s with a malformed id: %d, want 400: %s", key, a.status, a.body)
		}
	}
}

func TestAdminUnknownQueryParameterIsRefused(t *testing.T) {
	e := newAdminEnv(t)
	a := e.as(user.RoleAdmin, "GET", "/api/v1/groups?nmae=x", "")
	if a.status != 400 || !contains(problemFields(t, a), "nmae") {
		t.Fatalf("typo in a filter: %d %s", a.status, a.body)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "cursor=garbage"} {
		if a := e.as(user.RoleAdmin, "GET", "/api/v1/groups?"+q, ""); a.status != 400 {
			t.Errorf("?%s: %d, want 400", q, a.status)
		}
	}
}

var _ = fmt.Sprint
var _ = context.Background
