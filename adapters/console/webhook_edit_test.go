package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

func (e *env) hook(u string) (rows int, enabled bool) {
	e.t.Helper()
	err := e.db.NewRaw(`SELECT count(*), coalesce(bool_or(is_enabled), false) FROM webhooks WHERE url = ? AND deleted_at IS NULL`, u).
		Scan(context.Background(), &rows, &enabled)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows, enabled
}

// TestWebhookForms: an admin creates a webhook (its secret shown once),
// disables, enables and deletes it, each through the API's use case and
// audited.
func TestWebhookForms(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.signIn(user.RoleAdmin)
	hookURL := "https://siem.example.com/console-" + e.ip
	a := admin.do("POST", "/console/webhooks", url.Values{"csrf": {admin.tokenOf("/console/webhooks")}, "url": {hookURL},
		"event_types": {"blocklist.created, group.updated"}, "description": {"siem"}})
	if a.status != http.StatusCreated || !regexp.MustCompile(`<code id="new-secret">[^<]{16,}</code>`).MatchString(a.body) {
		t.Fatalf("create: %d, secret shown: %.3000s", a.status, a.body)
	}
	if n, on := e.hook(hookURL); n != 1 || !on {
		t.Fatalf("created: %d rows, enabled %v", n, on)
	}
	if strings.Contains(admin.do("GET", "/console/webhooks", nil).body, `id="new-secret"`) {
		t.Fatal("the secret is shown again")
	}
	action := regexp.MustCompile(`action="(/console/webhooks/[0-9a-f-]+)"[^>]*><input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="is_enabled" value="false"><button type="submit" aria-label="Disable ` + regexp.QuoteMeta(hookURL)).
		FindStringSubmatch(admin.do("GET", "/console/webhooks", nil).body)
	if action == nil {
		t.Fatal("no disable form")
	}
	// A mangled choice is a field error in the row and changes nothing (it
	// used to read as false and disable the webhook).
	for _, bad := range []string{"", "yes"} {
		a := admin.do("POST", action[1], url.Values{"csrf": {admin.tokenOf("/console/webhooks")}, "is_enabled": {bad}})
		if _, on := e.hook(hookURL); a.status != http.StatusBadRequest || !on || !strings.Contains(a.body, "is_enabled: must be true or false") {
			t.Fatalf("is_enabled=%q: %d, still enabled %v: %.2000s", bad, a.status, on, a.body)
		}
	}
	for _, to := range []string{"false", "true"} {
		if a := admin.do("POST", action[1], url.Values{"csrf": {admin.tokenOf("/console/webhooks")}, "is_enabled": {to}}); a.status != http.StatusSeeOther {
			t.Fatalf("is_enabled=%s: %d", to, a.status)
		}
		if _, on := e.hook(hookURL); (to == "true") != on {
			t.Fatalf("is_enabled=%s: enabled %v", to, on)
		}
	}
	if a := admin.do("POST", action[1]+"/delete", url.Values{"csrf": {admin.tokenOf("/console/webhooks")}}); a.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", a.status)
	}
	if n, _ := e.hook(hookURL); n != 0 {
		t.Fatal("still there")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type IN ('webhook.created', 'webhook.updated', 'webhook.deleted') AND target_id = ?`, strings.TrimPrefix(action[1], "/console/webhooks/")); n != 4 {
		t.Fatalf("%d webhook audit rows; want 4", n)
	}
}

// TestWebhookFormBadInputChangesNothing: a plain-http URL and an unknown
// event type are the API's field errors beside their inputs.
func TestWebhookFormBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.signIn(user.RoleAdmin)
	before := e.count(`SELECT count(*) FROM webhooks`)
	a := admin.do("POST", "/console/webhooks", url.Values{"csrf": {admin.tokenOf("/console/webhooks")}, "url": {"ftp://siem.example.com/x"},
		"event_types": {"blocklist.created, no.such"}})
	if a.status != http.StatusBadRequest {
		t.Fatalf("bad webhook: %d", a.status)
	}
	for _, field := range []string{"url", "event_types"} {
		if !regexp.MustCompile(`name="` + field + `"[^>]*><span class="field-error">[^<]+</span>`).MatchString(a.body) {
			t.Errorf("no field error beside %s: %.4000s", field, a.body)
		}
	}
	if !strings.Contains(a.body, `value="blocklist.created, no.such"`) {
		t.Error("the typed event types are lost")
	}
	if after := e.count(`SELECT count(*) FROM webhooks`); after != before {
		t.Fatalf("webhooks %d -> %d", before, after)
	}
}

// TestWebhookFormsRoles: an editor sees the list but no webhook control,
// and its post is refused and audited.
func TestWebhookFormsRoles(t *testing.T) {
	e := newEnv(t)
	editor, ed := e.signIn(user.RoleEditor)
	if body := editor.do("GET", "/console/webhooks", nil).body; strings.Contains(body, `action="/console/webhooks`) {
		t.Fatal("an editor is shown a webhook control")
	}
	before := e.count(`SELECT count(*) FROM webhooks`)
	a := editor.do("POST", "/console/webhooks", url.Values{"csrf": {editor.tokenOf("/console/webhooks")}, "url": {"https://siem.example.com/editor"}})
	if a.status != http.StatusForbidden || e.count(`SELECT count(*) FROM webhooks`) != before {
		t.Fatalf("editor post: %d", a.status)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, ed.ID().String()); n != 1 {
		t.Fatalf("%d access.denied rows", n)
	}
}
