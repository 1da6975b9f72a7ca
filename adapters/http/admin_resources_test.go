package httpapi_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

func TestAdminLoginSessionsAndDeactivation(t *testing.T) {
	e := newAdminEnv(t)
	u := e.newUser(user.RoleEditor)
	login := func(email, pw string) answer {
		return e.call("POST", "/api/v1/auth/login", "", `{"email":"`+email+`","password":"`+pw+`"}`)
	}
	wrong, unknown := login(u.Email(), "wrong password!!"), login("nobody-"+uniqueName("x")+"@example.com", "wrong password!!")
	if wrong.status != 401 || unknown.status != 401 || string(wrong.body) != string(unknown.body) {
		t.Fatalf("failures must read the same: %d %s / %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	ok := login(strings.ToUpper(u.Email()), testPassword)
	if ok.status != 200 {
		t.Fatalf("login: %d %s", ok.status, ok.body)
	}
	doc := ok.json(t)
	token := doc["token"].(string)
	if len(token) < 40 || doc["expires_at"] == nil {
		t.Fatalf("session answer: %s", ok.body)
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE token_hash = ?`, token); n != 0 {
		t.Fatal("the token itself is stored")
	}
	if a := e.call("GET", "/api/v1/groups", token, ""); a.status != 200 {
		t.Fatalf("session works: %d", a.status)
	}
	// Deactivation takes effect on the very next request.
	e.must(200, "PATCH", "/api/v1/users/"+u.ID().String(), `{"is_active":false}`)
	if a := e.call("GET", "/api/v1/groups", token, ""); a.status != 401 {
		t.Fatalf("deactivated user: %d, want 401", a.status)
	}
	if a := login(u.Email(), testPassword); a.status != 401 {
		t.Fatalf("deactivated user logs in: %d", a.status)
	}
	e.must(200, "PATCH", "/api/v1/users/"+u.ID().String(), `{"is_active":true}`)
	token = login(u.Email(), testPassword).json(t)["token"].(string)
	if a := e.call("POST", "/api/v1/auth/logout", token, ""); a.status != 204 {
		t.Fatalf("logout: %d %s", a.status, a.body)
	}
	if a := e.call("GET", "/api/v1/groups", token, ""); a.status != 401 {
		t.Fatalf("after logout: %d, want 401", a.status)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE event_type IN ('user.login', 'user.logout', 'user.login_failed') AND target_id = ?`, u.ID().String()) < 4 {
		t.Fatal("logins, failures and logouts are audited")
	}
	// Throttled per account and address: the eleventh failure in the window is refused.
	v := e.newUser(user.RoleViewer)
	var last answer
	for i := 0; i < 11; i++ {
		last = login(v.Email(), "wrong password!!")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d with Retry-After %q, want 429 with one", last.status, last.header.Get("Retry-After"))
	}
}

func TestAdminAPIKeysForAutomation(t *testing.T) {
	e := newAdminEnv(t)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("automation")+`"}`)
	gid := g["id"].(string)
	created := e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"gitops","scopes":["admin"]}`)
	key := created["key"].(string)
	if !strings.HasPrefix(key, "egk_") {
		t.Fatalf("secret: %v", created)
	}
	list := e.must(200, "GET", "/api/v1/groups/"+gid+"/api-keys", "")
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["key"] != nil {
		t.Fatalf("list shows the secret or misses the key: %v", list)
	}
	if a := e.call("POST", "/api/v1/blocklist", key, `{"pattern_type":"publisher","pattern":"`+strings.ToLower(uniqueName("auto"))+`"}`); a.status != 201 {
		t.Fatalf("admin key writes: %d %s", a.status, a.body)
	}
	agentKey := e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"laptops","scopes":["agent"]}`)["key"].(string)
	if a := e.call("GET", "/api/v1/groups", agentKey, ""); a.status != 403 {
		t.Fatalf("agent key on the admin API: %d, want 403", a.status)
	}
	e.must(204, "DELETE", "/api/v1/api-keys/"+created["id"].(string), "")
	if a := e.call("GET", "/api/v1/groups", key, ""); a.status != 401 {
		t.Fatalf("revoked key: %d, want 401", a.status)
	}
}

func TestAdminGroupsCRUD(t *testing.T) {
	e := newAdminEnv(t)
	name := uniqueName("Platform")
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+name+`","settings":{"mode":"blocklist","heartbeat_interval_s":30}}`)
	id := g["id"].(string)
	s := g["settings"].(map[string]any)
	if s["mode"] != "blocklist" || s["enforcement"] != "audit" || s["stale_after_s"].(float64) != 90 {
		t.Fatalf("settings with defaults: %v", s)
	}
	if a := e.as(user.RoleAdmin, "POST", "/api/v1/groups", `{"name":"`+strings.ToUpper(name)+`"}`); a.status != 409 {
		t.Fatalf("same name: %d, want 409", a.status)
	}
	a := e.as(user.RoleAdmin, "POST", "/api/v1/groups", `{"name":"","settings":{"mode":"x","bogus":1}}`)
	if fields := problemFields(t, a); a.status != 400 || !contains(fields, "name") || !contains(fields, "settings.mode") || !contains(fields, "settings.bogus") {
		t.Fatalf("every bad field: %d %s", a.status, a.body)
	}
	p := e.must(200, "PATCH", "/api/v1/groups/"+id, `{"settings":{"enforcement":"enforce"}}`)
	if s := p["settings"].(map[string]any); s["mode"] != "blocklist" || s["enforcement"] != "enforce" {
		t.Fatalf("settings merge: %v", s)
	}
	row := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'group.updated' AND target_id = ? AND actor_type = 'user'
		AND client_ip IS NOT NULL AND user_agent = 'extguard-admin-test' AND details->'before'->'settings'->>'enforcement' = 'audit'
		AND details->'after'->'settings'->>'enforcement' = 'enforce'`, id)
	if row != 1 {
		t.Fatal("the update's audit row carries actor, client IP, user agent, before and after")
	}
	e.must(200, "GET", "/api/v1/groups/"+id, "")
	e.must(204, "DELETE", "/api/v1/groups/"+id, "")
	e.must(404, "GET", "/api/v1/groups/"+id, "")
	e.must(404, "DELETE", "/api/v1/groups/"+id, "")
	e.must(201, "POST", "/api/v1/groups", `{"name":"`+name+`"}`) // the name is free again
}

func TestAdminListsArePaginatedByKeyset(t *testing.T) {
	e := newAdminEnv(t)
	prefix := strings.ToLower(uniqueName("page"))
	for i := 0; i < 7; i++ {
		e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+prefix+`.ext`+strconv.Itoa(i)+`"}`)
	}
	seen := map[string]bool{}
	path := "/api/v1/extensions?limit=3&publisher=" + prefix
	pages := 0
	for {
		page := e.must(200, "GET", path, "")
		pages++
		for _, it := range page["items"].([]any) {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("row %s on two pages", id)
			}
			seen[id] = true
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/extensions?limit=3&publisher=" + prefix + "&cursor=" + url.QueryEscape(next)
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d rows in %d pages, want 7 in 3", len(seen), pages)
	}
}

func TestAdminCatalogAssignmentsAndPolicyViews(t *testing.T) {
	e := newAdminEnv(t)
	g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("policy")+`"}`)["id"].(string)
	pub := strings.ToLower(uniqueName("ms"))
	sha := strings.Repeat("ab", 32)
	py := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+pub+`.python","pinned_version":"2024.2.1","sha256_checksum":"`+strings.ToUpper(sha)+`","marketplace_url":"https://marketplace.visualstudio.com/x"}`)
	if py["sha256_checksum"] != sha || py["publisher"] != pub || py["content_sha256"] != nil {
		t.Fatalf("catalog entry: %v", py)
	}
	if a := e.as(user.RoleAdmin, "POST", "/api/v1/extensions", `{"extension_id":"`+pub+`.python"}`); a.status != 409 {
		t.Fatalf("duplicate extension id: %d", a.status)
	}
	a := e.as(user.RoleAdmin, "POST", "/api/v1/extensions", `{"extension_id":"Not An Id","pinned_version":"one","sha256_checksum":"zz","marketplace_url":"file:///etc/passwd"}`)
	if f := problemFields(t, a); a.status != 400 || len(f) != 4 {
		t.Fatalf("every bad catalog field: %d %s", a.status, a.body)
	}
	pretty := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"`+pub+`.prettier"}`)
	created := e.as(user.RoleEditor, "PUT", "/api/v1/groups/"+g+"/extensions/"+py["id"].(string), `{"is_required":true}`)
	if created.status != 201 {
		t.Fatalf("assign: %d %s", created.status, created.body)
	}
	if again := e.as(user.RoleEditor, "PUT", "/api/v1/groups/"+g+"/extensions/"+py["id"].(string), `{"is_required":true}`); again.status != 200 {
		t.Fatalf("assign again: %d", again.status)
	}
	e.must(201, "PUT", "/api/v1/groups/"+g+"/extensions/"+pretty["id"].(string), `{"is_required":false}`)
	list := e.must(200, "GET", "/api/v1/groups/"+g+"/extensions", "")
	if len(list["items"].([]any)) != 2 {
		t.Fatalf("assignments: %v", list)
	}
	e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"`+pub+`-evil","reason":"malware"}`)
	glob := e.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"glob","pattern":"*.`+pub+`-copilot*"}`)
	if a := e.as(user.RoleAdmin, "POST", "/api/v1/blocklist", `{"pattern_type":"regex","pattern":"a)|(b"}`); a.status != 400 || !contains(problemFields(t, a), "pattern") {
		t.Fatalf("bad regex: %d %s", a.status, a.body)
	}

	pol := e.must(200, "GET", "/api/v1/groups/"+g+"/policy", "")
	if req := pol["required"].([]any); len(req) != 1 || req[0].(map[string]any)["version"] != "2024.2.1" || pol["mode"] != "allowlist" {
		t.Fatalf("compiled policy: %v", pol)
	}
	js := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?format=json", "")
	// The blocklist is global: other tests' entries show up too, in key order.
	var doc map[string]string
	if err := jsonUnmarshal(js.body, &doc); err != nil || !strings.HasPrefix(doc["AllowedExtensions"], `{"*":false,`) {
		t.Fatalf("policy.json: %d %s", js.status, js.body)
	}
	for _, want := range []string{`"` + pub + `-evil":false`, `"` + pub + `.prettier":true`, `"` + pub + `.python":["2024.2.1"]`} {
		if !strings.Contains(doc["AllowedExtensions"], want) {
			t.Fatalf("AllowedExtensions lacks %s: %s", want, doc["AllowedExtensions"])
		}
	}
	// An allowlist's "*": false refuses what a glob block matches, so only
	// the checksum is lost (issue 21: the list names real differences only).
	if h := js.header.Get("Extguard-Unexpressible"); strings.Contains(h, "glob block") || !strings.Contains(h, "checksum") {
		t.Fatalf("unexpressible rules are named: %q", h)
	}
	if loc := js.header.Get("Extguard-Policy-Location"); loc != "/etc/vscode/policy.json" {
		t.Fatalf("location %q", loc)
	}
	// Each editor at its own location; Cursor, which reads no such policy, is refused with the reason.
	codium := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?format=reg&editor=vscodium", "")
	if codium.status != 200 || !strings.Contains(string(codium.body), `[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\VSCodium\VSCodium]`) ||
		!strings.Contains(codium.header.Get("Extguard-Unexpressible"), "vscodium:") {
		t.Fatalf("vscodium: %d %s", codium.status, codium.body)
	}
	if a := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?editor=cursor", ""); a.status != 400 || !contains(problemFields(t, a), "editor") {
		t.Fatalf("cursor: %d %s", a.status, a.body)
	}
	mc := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?format=mobileconfig", "")
	for _, s := range []string{"<string>com.microsoft.VSCode</string>", "<key>AllowedExtensions</key>", "&#34;*&#34;:false"} {
		if !strings.Contains(string(mc.body), s) {
			t.Fatalf("mobileconfig lacks %s:\n%s", s, mc.body)
		}
	}
	reg := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?format=reg", "")
	if !strings.Contains(string(reg.body), `[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\VSCode]`) ||
		!strings.Contains(string(reg.body), `"AllowedExtensions"="{\"*\":false,`) {
		t.Fatalf(".reg:\n%s", reg.body)
	}
	if a := e.as(user.RoleViewer, "GET", "/api/v1/groups/"+g+"/policy/vscode?format=pdf", ""); a.status != 400 {
		t.Fatalf("unknown format: %d", a.status)
	}

	// Deleting a catalog entry removes its assignments with it.
	e.must(204, "DELETE", "/api/v1/extensions/"+py["id"].(string), "")
	e.must(404, "DELETE", "/api/v1/extensions/"+py["id"].(string), "")
	if n := len(e.must(200, "GET", "/api/v1/groups/"+g+"/extensions", "")["items"].([]any)); n != 1 {
		t.Fatalf("assignments after deleting an entry: %d", n)
	}
	e.must(204, "DELETE", "/api/v1/groups/"+g+"/extensions/"+pretty["id"].(string), "")
	e.must(404, "DELETE", "/api/v1/groups/"+g+"/extensions/"+pretty["id"].(string), "")
	e.must(204, "DELETE", "/api/v1/blocklist/"+glob["id"].(string), "")
	e.must(404, "GET", "/api/v1/blocklist/"+glob["id"].(string), "")
}

func TestAdminUsersCRUD(t *testing.T) {
	e := newAdminEnv(t)
	email := strings.ToLower(uniqueName("carol")) + "@example.com"
	u := e.must(201, "POST", "/api/v1/users", `{"email":"`+email+`","password":"`+testPassword+`","role":"auditor","display_name":"Carol"}`)
	if u["password"] != nil || u["password_hash"] != nil || u["role"] != "auditor" {
		t.Fatalf("user answer: %v", u)
	}
	if a := e.as(user.RoleAdmin, "POST", "/api/v1/users", `{"email":"`+strings.ToUpper(email)+`","password":"`+testPassword+`","role":"viewer"}`); a.status != 409 {
		t.Fatalf("same email: %d", a.status)
	}
	a := e.as(user.RoleAdmin, "POST", "/api/v1/users", `{"email":"nope","password":"short","role":"root"}`)
	if f := problemFields(t, a); a.status != 400 || !contains(f, "email") || !contains(f, "password") || !contains(f, "role") {
		t.Fatalf("every bad user field: %d %s", a.status, a.body)
	}
	id := u["id"].(string)
	e.must(200, "PATCH", "/api/v1/users/"+id, `{"role":"editor"}`)
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'user.updated' AND target_id = ? AND details->'role'->>'before' = 'auditor'`, id); n != 1 {
		t.Fatal("role change audited with before/after")
	}
	e.must(204, "DELETE", "/api/v1/users/"+id, "")
	e.must(404, "GET", "/api/v1/users/"+id, "")
	e.must(404, "DELETE", "/api/v1/users/"+id, "")
	if n := e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE '%argon2%'`); n != 0 {
		t.Fatal("a password hash reached the audit log")
	}
}

func TestAdminWebhooks(t *testing.T) {
	e := newAdminEnv(t)
	h := e.must(201, "POST", "/api/v1/webhooks", `{"url":"https://siem.example.com/hook","event_types":["blocklist.created","agent.decommissioned"]}`)
	if !strings.HasPrefix(h["secret"].(string), "whsec_") {
		t.Fatalf("secret shown once: %v", h)
	}
	id := h["id"].(string)
	if got := e.must(200, "GET", "/api/v1/webhooks/"+id, ""); got["secret"] != nil {
		t.Fatal("secret shown again")
	}
	for _, bad := range []string{`{"url":"http://siem.example.com/hook"}`, `{"url":"https://127.0.0.1/hook"}`,
		`{"url":"https://169.254.169.254/latest"}`, `{"url":"https://[::1]/x"}`, `{"url":"https://ok.example.com","event_types":["no.such"]}`} {
		if a := e.as(user.RoleAdmin, "POST", "/api/v1/webhooks", bad); a.status != 400 {
			t.Errorf("%s: %d, want 400", bad, a.status)
		}
	}
	e.must(202, "POST", "/api/v1/webhooks/"+id+"/test", "")
	deliveries := e.must(200, "GET", "/api/v1/webhooks/"+id+"/deliveries", "")
	if items := deliveries["items"].([]any); len(items) != 1 || items[0].(map[string]any)["event_type"] != "webhook.test" {
		t.Fatalf("deliveries: %v", deliveries)
	}
	e.must(200, "PATCH", "/api/v1/webhooks/"+id, `{"is_enabled":false,"description":"paused"}`)
	e.must(409, "POST", "/api/v1/webhooks/"+id+"/test", "")
	e.must(204, "DELETE", "/api/v1/webhooks/"+id, "")
	e.must(404, "DELETE", "/api/v1/webhooks/"+id, "")
	e.must(404, "POST", "/api/v1/webhooks/"+id+"/test", "")
	e.must(404, "POST", "/api/v1/webhooks/"+domain.NewID().String()+"/test", "")
	if n := e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE '%whsec_%'`); n != 0 {
		t.Fatal("a webhook secret reached the audit log")
	}
}

// TestEditorsCannotMintKeysMorePowerfulThanThemselves: an admin key acts as
// an admin and a read key as an auditor, so an editor creating one would
// escalate; editors may create agent keys only, and a refusal is audited.
func TestEditorsCannotMintKeysMorePowerfulThanThemselves(t *testing.T) {
	e := newAdminEnv(t)
	gid := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("escalation")+`"}`)["id"].(string)
	denied := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied'`)
	for _, scopes := range []string{`["admin"]`, `["read"]`, `["agent","admin"]`} {
		a := e.as(user.RoleEditor, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"mine","scopes":`+scopes+`}`)
		if a.status != 403 {
			t.Fatalf("editor creating a %s key: %d %s, want 403", scopes, a.status, a.body)
		}
	}
	if got := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied'`); got != denied+3 {
		t.Fatalf("refusals audited: %d, want %d", got, denied+3)
	}
	if a := e.as(user.RoleEditor, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"fleet","scopes":["agent"]}`); a.status != 201 {
		t.Fatalf("editor creating an agent key: %d %s", a.status, a.body)
	}
	if n := e.count(`SELECT count(*) FROM api_keys WHERE group_id = ? AND scopes <> 'agent'`, gid); n != 0 {
		t.Fatalf("%d escalated keys were stored", n)
	}
}

// TestWebhookURLsAreRedactedForReadersAndInAudit: a receiver's path or query
// is often its credential, so only roles that manage webhooks see it.
func TestWebhookURLsAreRedactedForReadersAndInAudit(t *testing.T) {
	e := newAdminEnv(t)
	const secretPath = "/services/T000/B000/very-secret-token"
	created := e.must(201, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com`+secretPath+`?sig=abc"}`)
	id := created["id"].(string)
	if !strings.Contains(created["url"].(string), secretPath) {
		t.Fatalf("the creator must see the full URL: %v", created["url"])
	}
	for _, role := range []user.Role{user.RoleViewer, user.RoleAuditor, user.RoleEditor} {
		for _, path := range []string{"/api/v1/webhooks/" + id, "/api/v1/webhooks"} {
			a := e.as(role, "GET", path, "")
			if a.status != 200 || strings.Contains(string(a.body), "very-secret-token") || strings.Contains(string(a.body), "sig=abc") {
				t.Fatalf("%s GET %s: %d %s", role, path, a.status, a.body)
			}
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE details::text LIKE '%very-secret-token%'`); n != 0 {
		t.Fatalf("%d audit rows hold the webhook URL's secret path", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'webhook.created' AND target_id = ?
		AND details->'after'->>'url' = 'https://hooks.example.com/…'`, id); n != 1 {
		t.Fatalf("the audit row should name the receiver's host: %d", n)
	}
}

// TestDeletingAGroupRevokesItsKeys: no key of a deleted group may
// authenticate again, on any instance.
func TestDeletingAGroupRevokesItsKeys(t *testing.T) {
	e := newAdminEnv(t)
	gid := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("retired")+`"}`)["id"].(string)
	for _, name := range []string{"laptops", "servers"} {
		e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"`+name+`","scopes":["agent"]}`)
	}
	e.must(204, "DELETE", "/api/v1/groups/"+gid, "")
	if n := e.count(`SELECT count(*) FROM api_keys WHERE group_id = ? AND revoked_at IS NULL`, gid); n != 0 {
		t.Fatalf("%d keys of the deleted group are still live", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'group.deleted' AND target_id = ?
		AND (details->>'api_keys_revoked')::int = 2`, gid); n != 1 {
		t.Fatalf("the deletion's audit row should count the revoked keys: %d", n)
	}
}
