package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/console"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

func TestLoginPageHasTheFormFields(t *testing.T) {
	e := newEnv(t)
	a := e.browser().do("GET", "/console/login", nil)
	for _, want := range []string{`type="email" name="email"`, `type="password" name="password"`, `type="submit"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
}

func TestSessionCookieIsHardened(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(user.RoleAdmin)
	b := e.browser()
	a := b.login(u.Email(), testPassword)
	c := a.cookie("extguard_session")
	if a.status != http.StatusSeeOther || c == nil {
		t.Fatalf("login: %d, cookie %v", a.status, c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.Expires.IsZero() {
		t.Fatalf("cookie over plain HTTP: %+v", c)
	}
	// Stored hashed, like the API's sessions: the token itself is in no row.
	if n := e.count(`SELECT count(*) FROM sessions WHERE token_hash = ?`, c.Value); n != 0 {
		t.Fatal("the session token is stored as it is")
	}
	// Behind a trusted TLS proxy the cookie is Secure.
	tls := e.browser()
	tls.headers["X-Forwarded-Proto"] = "https"
	form := tls.do("GET", "/console/login", nil)
	a = tls.do("POST", "/console/login", url.Values{"email": {u.Email()}, "password": {testPassword}, "csrf": {csrf(t, form)}},
		"Origin", "https://extguard.test")
	if c := a.cookie("extguard_session"); a.status != http.StatusSeeOther || c == nil || !c.Secure {
		t.Fatalf("login over TLS: %d, cookie %+v", a.status, c)
	}
}

func TestLoginRefusedWithoutTheFormsToken(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(user.RoleAdmin)
	b := e.browser()
	b.do("GET", "/console/login", nil)
	a := b.do("POST", "/console/login", url.Values{"email": {u.Email()}, "password": {testPassword}, "csrf": {"forged"}})
	if a.status != http.StatusForbidden || b.cookies["extguard_session"] != "" {
		t.Fatalf("login with a forged token: %d", a.status)
	}
}

func TestPagesNeedASession(t *testing.T) {
	e := newEnv(t)
	a := e.browser().do("GET", "/console/groups?x=1", nil)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/login?next=%2Fconsole%2Fgroups%3Fx%3D1" {
		t.Fatalf("no session: %d %q", a.status, a.header.Get("Location"))
	}
	b := e.browser()
	b.cookies["extguard_session"] = "egs_forged"
	if a := b.do("GET", "/console/", nil); a.status != http.StatusSeeOther {
		t.Fatalf("forged session: %d", a.status)
	}
}

func TestLoginRedirectStaysOnTheConsole(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(user.RoleAdmin)
	for next, want := range map[string]string{"/console/agents?status=stale": "/console/agents?status=stale",
		"//evil.example/": "/console/", "https://evil.example/": "/console/", "/console/\\evil": "/console/"} {
		b := e.browser()
		form := b.do("GET", "/console/login", nil)
		a := b.do("POST", "/console/login", url.Values{"email": {u.Email()}, "password": {testPassword}, "csrf": {csrf(t, form)}, "next": {next}})
		if got := a.header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(user.RoleAdmin)
	for _, path := range []string{"/console/login", "/console/", "/console/assets/htmx.min.js", "/console/nope"} {
		a := b.do("GET", path, nil)
		csp := a.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "unsafe") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("Referrer-Policy") != "same-origin" ||
			a.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, a.header)
		}
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	// foreignRef is an address on another origin in markup: what would make
	// the browser load or send something elsewhere.
	foreignRef = regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//`)
)

// checkCSPSafe fails the test if the page at path has what the console's
// CSP would block: a script not from the assets, an inline style, or a
// reference to another origin.
func checkCSPSafe(t *testing.T, path, body string) {
	t.Helper()
	for _, tag := range inlineScript.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="/console/assets/`) {
			t.Errorf("%s: inline or foreign script %s", path, tag)
		}
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<style") || foreignRef.MatchString(body) {
		t.Errorf("%s: inline style or a reference to another origin", path)
	}
}

func TestPagesHaveNoInlineScriptAndAnswer(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(user.RoleAdmin)
	g, err := e.uc.CreateGroup.Execute(context.Background(), audit.SystemActor(), application.NewGroupInput{Name: "eng"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/console/", "/console/agents", "/console/installations", "/console/installations?extension_id=evil.pack",
		"/console/groups", "/console/groups/" + g.ID().String(), "/console/blocklist", "/console/audit", "/console/extensions",
		"/console/webhooks", "/console/users", "/console/login"} {
		a := b.do("GET", path, nil)
		if a.status != http.StatusOK {
			t.Errorf("%s: %d %.300s", path, a.status, a.body)
			continue
		}
		checkCSPSafe(t, path, a.body)
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(user.RoleAdmin)
	token := b.tokenOf("/console/blocklist")
	form := url.Values{"csrf": {token}, "pattern_type": {"exact"}, "pattern": {"cross.site"}}
	for name, h := range map[string][]string{
		"other origin":           {"Origin", "https://evil.example", "Sec-Fetch-Site", ""},
		"cross-site fetch":       {"Sec-Fetch-Site", "cross-site"},
		"same-site, not origin":  {"Sec-Fetch-Site", "same-site"},
		"origin of other scheme": {"Origin", "https://extguard.test", "Sec-Fetch-Site", ""},
		"opaque origin":          {"Origin", "null", "Sec-Fetch-Site", ""},
	} {
		if a := b.do("POST", "/console/blocklist", form, h...); a.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, a.status)
		}
	}
	if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern = 'cross.site'`); n != 0 {
		t.Fatalf("%d entries created by refused posts", n)
	}
	if a := b.do("POST", "/console/blocklist", form); a.status != http.StatusSeeOther || e.count(`SELECT count(*) FROM blocklist WHERE pattern = 'cross.site'`) != 1 {
		t.Fatalf("same-origin post: %d", a.status)
	}
}

func TestStateChangeNeedsTheSessionsToken(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(user.RoleAdmin)
	other, _ := e.signIn(user.RoleAdmin)
	for name, token := range map[string]string{"none": "", "another session's": other.tokenOf("/console/blocklist"), "garbage": "x"} {
		a := b.do("POST", "/console/blocklist", url.Values{"csrf": {token}, "pattern_type": {"exact"}, "pattern": {"no.token"}},
			"Origin", "", "Sec-Fetch-Site", "")
		if a.status != http.StatusForbidden {
			t.Errorf("token %s: %d", name, a.status)
		}
	}
	if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern = 'no.token'`); n != 0 {
		t.Fatalf("%d entries created without the token", n)
	}
	// htmx sends the token as a header.
	a := b.do("POST", "/console/installations/impact", url.Values{"pattern_type": {"exact"}, "pattern": {"evil.pack"}},
		"X-CSRF-Token", b.tokenOf("/console/"), "HX-Request", "true")
	if a.status != http.StatusOK || !strings.Contains(a.body, "Impact of blocking evil.pack") {
		t.Fatalf("htmx post with the header token: %d %.300s", a.status, a.body)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	b, u := e.signIn(user.RoleAdmin)
	session := b.cookies["extguard_session"]
	a := b.do("POST", "/console/logout", url.Values{"csrf": {b.tokenOf("/console/")}})
	if a.status != http.StatusSeeOther || b.cookies["extguard_session"] != "" {
		t.Fatalf("logout: %d, cookie %q", a.status, b.cookies["extguard_session"])
	}
	b.cookies["extguard_session"] = session // a copy of the old cookie
	if a := b.do("GET", "/console/", nil); a.status != http.StatusSeeOther {
		t.Fatalf("old session after logout: %d", a.status)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'user.logout' AND actor_id = ?`, u.ID().String()); n != 1 {
		t.Fatalf("%d logout audit rows", n)
	}
}

func TestDeactivatedUserLosesTheConsole(t *testing.T) {
	e := newEnv(t)
	b, u := e.signIn(user.RoleEditor)
	if a := b.do("GET", "/console/", nil); a.status != http.StatusOK {
		t.Fatalf("before: %d", a.status)
	}
	off := false
	if _, err := e.uc.UpdateUser.Execute(context.Background(), audit.SystemActor(), u.ID(), application.UserChanges{IsActive: &off}); err != nil {
		t.Fatal(err)
	}
	if a := b.do("GET", "/console/", nil); a.status != http.StatusSeeOther {
		t.Fatalf("deactivated: %d", a.status)
	}
}

func TestLoginThrottleApplies(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(user.RoleAdmin)
	b := e.browser()
	var last answer
	for range 11 {
		last = b.login(u.Email(), "wrong password, long enough")
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("11th failure: %d %v", last.status, last.header)
	}
	// Refused before the password is checked: the right one is refused too.
	if a := b.login(u.Email(), testPassword); a.status != http.StatusTooManyRequests || b.cookies["extguard_session"] != "" {
		t.Fatalf("right password while throttled: %d", a.status)
	}
}

// Signing in and out change state too: another site can neither sign a
// browser in to its own account nor sign it out.
func TestCrossSiteLoginAndLogoutRefused(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(user.RoleAdmin)
	b := e.browser()
	form := b.do("GET", "/console/login", nil)
	a := b.do("POST", "/console/login", url.Values{"email": {u.Email()}, "password": {testPassword}, "csrf": {csrf(t, form)}},
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if a.status != http.StatusForbidden || b.cookies["extguard_session"] != "" {
		t.Fatalf("cross-site login: %d, session %q", a.status, b.cookies["extguard_session"])
	}
	signedIn, _ := e.signIn(user.RoleViewer)
	token := signedIn.tokenOf("/console/")
	for name, h := range map[string][]string{"cross-site": {"Sec-Fetch-Site", "cross-site"}, "other origin": {"Origin", "https://evil.example", "Sec-Fetch-Site", ""}} {
		if a := signedIn.do("POST", "/console/logout", url.Values{"csrf": {token}}, h...); a.status != http.StatusForbidden {
			t.Errorf("%s logout: %d", name, a.status)
		}
	}
	if a := signedIn.do("GET", "/console/", nil); a.status != http.StatusOK {
		t.Fatalf("signed out by a cross-site post: %d", a.status)
	}
}

// TestForwardedHeadersNeedATrustedProxy: with no trusted proxy configured
// (the default), a client's own X-Forwarded-Proto and X-Forwarded-Host are
// not believed. fiber believes them from anyone unless its proxy check is
// on; then any client could pass the Origin check with an Origin of its
// choosing, and the Secure flag would follow a header, not the connection.
func TestForwardedHeadersNeedATrustedProxy(t *testing.T) {
	e := newEnv(t)
	direct := *e
	direct.app = httpapi.NewApp(httpapi.DefaultServerConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)), console.New(e.uc, nil))
	t.Cleanup(func() { _ = direct.app.Shutdown() })
	b := direct.browser()
	b.headers["X-Forwarded-Proto"], b.headers["X-Forwarded-Host"] = "https", "evil.test"
	if c := b.do("GET", "/console/login", nil).cookie("extguard_login"); c == nil || c.Secure {
		t.Fatalf("a client's X-Forwarded-Proto made the cookie Secure: %+v", c)
	}
	a := b.do("POST", "/console/login", url.Values{"email": {"x@example.com"}}, "Origin", "https://evil.test", "Sec-Fetch-Site", "")
	if a.status != http.StatusForbidden || !strings.Contains(a.body, "cross-site request") {
		t.Fatalf("an Origin matching the client's own X-Forwarded-Host passed the cross-site check: %d %.300s", a.status, a.body)
	}
}
