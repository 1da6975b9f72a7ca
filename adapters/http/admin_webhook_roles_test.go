package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/domain/user"
)

// TestAuditStreamIsAsPrivateAsTheAuditLog: a webhook receives every audit
// event (logins with emails, addresses, user agents), so only a role that
// may read the audit log and manage integrations (admin) subscribes,
// changes, deletes or tests one; its deliveries (audit metadata) are for
// those who read the audit log. The route table, the OpenAPI document and
// the served API agree, and an editor cannot delete the SIEM's webhook.
func TestAuditStreamIsAsPrivateAsTheAuditLog(t *testing.T) {
	e := newAdminEnv(t)
	adminOnly := []user.Role{user.RoleAdmin}
	auditReaders := []user.Role{user.RoleAdmin, user.RoleAuditor}
	want := map[string][]user.Role{
		"POST /api/v1/webhooks":                adminOnly,
		"PATCH /api/v1/webhooks/{id}":          adminOnly,
		"DELETE /api/v1/webhooks/{id}":         adminOnly,
		"POST /api/v1/webhooks/{id}/test":      adminOnly,
		"GET /api/v1/webhooks/{id}/deliveries": auditReaders,
		"GET /api/v1/audit-log":                auditReaders,
	}
	paths := e.admin.OpenAPI()["paths"].(map[string]any)
	for key, allowed := range want {
		perm, ok := e.admin.RoutePermission(key)
		if !ok {
			t.Fatalf("%s is not in the route table", key)
		}
		for _, role := range httpapi.Roles {
			if got := perm.Allows(role); got != slices.Contains(allowed, role) {
				t.Errorf("%s (%s) allows %s: %v, want %v", key, perm, role, got, !got)
			}
		}
		method, path := splitKey(key)
		op := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op["x-extguard-permission"] != string(perm) {
			t.Errorf("%s: the OpenAPI document says %v, the route table %s", key, op["x-extguard-permission"], perm)
		}
	}

	siem := e.must(201, "POST", "/api/v1/webhooks", `{"url":"https://siem.example.com/hook"}`)["id"].(string)
	for _, role := range []user.Role{user.RoleEditor, user.RoleViewer} {
		calls := [][3]string{{"POST", "/api/v1/webhooks", `{"url":"https://attacker.example.com/hook"}`},
			{"PATCH", "/api/v1/webhooks/" + siem, `{"url":"https://attacker.example.com/hook"}`},
			{"POST", "/api/v1/webhooks/" + siem + "/test", ""},
			{"GET", "/api/v1/webhooks/" + siem + "/deliveries", ""},
			{"DELETE", "/api/v1/webhooks/" + siem, ""}}
		for _, c := range calls {
			if a := e.as(role, c[0], c[1], c[2]); a.status != 403 {
				t.Errorf("%s %s %s: %d %s, want 403", role, c[0], c[1], a.status, a.body)
			}
		}
	}
	if a := e.as(user.RoleAuditor, "GET", "/api/v1/webhooks/"+siem+"/deliveries", ""); a.status != 200 {
		t.Errorf("an auditor reading deliveries: %d %s, want 200", a.status, a.body)
	}
	if n := e.count(`SELECT count(*) FROM webhooks WHERE url LIKE '%attacker%'`); n != 0 {
		t.Fatalf("%d webhooks point at the attacker", n)
	}
	e.must(200, "GET", "/api/v1/webhooks/"+siem, "")
}
