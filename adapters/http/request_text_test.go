package httpapi_test

import (
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// TestHostileUserAgentIsAudited: invalid UTF-8 or CR/LF in the user agent
// neither fails nor skips an audit row; the row keeps the text with each
// offending byte replaced. A NUL is refused (400) by the HTTP parser before
// any use case runs, so it has no outcome to audit.
func TestHostileUserAgentIsAudited(t *testing.T) {
	e := newAdminEnv(t)
	viewer := e.newUser(user.RoleViewer)
	login := `{"email":"` + viewer.Email() + `","password":"wrong"}`
	if a := e.callSocket("POST", "/api/v1/auth/login", "", login, "User-Agent", "probe\x00"); a.status != 400 {
		t.Errorf("login with a NUL in the user agent: %d %s, want 400", a.status, a.body)
	}
	for _, ua := range []string{"probe\xff\xfe", "probe\r\nX-Forged: 1"} {
		if a := e.call("POST", "/api/v1/auth/login", "", login, "User-Agent", ua); a.status != 401 {
			t.Errorf("failed login with UA %q: %d, want 401: %s", ua, a.status, a.body)
		}
		if a := e.call("GET", "/api/v1/users", e.tokens[user.RoleViewer], "", "User-Agent", ua); a.status != 403 {
			t.Errorf("refusal with UA %q: %d, want 403: %s", ua, a.status, a.body)
		}
		name := uniqueName("ua")
		if a := e.call("POST", "/api/v1/groups", e.tokens[user.RoleAdmin], `{"name":"`+name+`"}`, "User-Agent", ua); a.status != 201 {
			t.Errorf("mutation with UA %q: %d, want 201: %s", ua, a.status, a.body)
		}
	}
	for _, event := range []string{"user.login_failed", "access.denied", "group.created"} {
		n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = ? AND client_ip = ?::inet AND user_agent LIKE 'probe%'
			AND user_agent !~ '[[:cntrl:]]'`, event, e.clientIP)
		if n != 2 {
			t.Errorf("%s: %d rows with a clean user agent, want 2", event, n)
		}
	}
}

// TestQueryParameterTextIsChecked: a NUL, invalid UTF-8 or control
// character in any query parameter, and a parameter given twice, are a 400
// naming the parameter, before any handler reads it.
func TestQueryParameterTextIsChecked(t *testing.T) {
	e := newAdminEnv(t)
	cases := []struct{ path, field string }{
		{"/api/v1/users?email=%00", "email"},
		{"/api/v1/users?email=a%ffb", "email"},
		{"/api/v1/groups?name=x%0D%0Ay", "name"},
		{"/api/v1/agents?platform=%00", "platform"},
		{"/api/v1/audit-log?target_type=%00", "target_type"},
		{"/api/v1/extensions?publisher=%c3", "publisher"},
		{"/api/v1/groups?cursor=%00", "cursor"},
		{"/api/v1/users?role=admin&role=viewer", "role"},
		{"/api/v1/groups?limit=1&limit=500", "limit"},
	}
	for _, c := range cases {
		a := e.as(user.RoleAdmin, "GET", c.path, "")
		if a.status != 400 || !contains(problemFields(t, a), c.field) {
			t.Errorf("%s: %d %s, want 400 naming %s", c.path, a.status, a.body, c.field)
		}
	}
	if a := e.as(user.RoleAdmin, "GET", "/api/v1/users?email=%00&email=%00&email=x", ""); len(problemFields(t, a)) != 2 {
		t.Errorf("one parameter three times: %s, want one text and one repetition error", a.body)
	}
}

// TestFailedLoginQuotingNULIsAudited: the failed login's row quotes the
// email as sent; a NUL in it (jsonb refuses \u0000) must not lose the row,
// which fail-closed audit would turn into a 503.
func TestFailedLoginQuotingNULIsAudited(t *testing.T) {
	e := newAdminEnv(t)
	ua := uniqueName("nul-email")
	a := e.call("POST", "/api/v1/auth/login", "", `{"email":"x\u0000@example.com","password":"wrong"}`, "User-Agent", ua)
	if a.status != 401 {
		t.Fatalf("failed login with a NUL in the email: %d %s, want 401", a.status, a.body)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'user.login_failed' AND user_agent = ?
		AND details->>'email' = ?`, ua, "x\uFFFD@example.com"); n != 1 {
		t.Fatalf("%d user.login_failed rows quoting the email, want 1", n)
	}
}
