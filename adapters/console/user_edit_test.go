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

var nextLink = regexp.MustCompile(`<a class="next" href="([^"]+)">`)

// pageWith is the page of the list at path that shows text, following its
// next links: the package's tests share the database, so a user made now
// may be past the first page.
func (b *browser) pageWith(path, text string) answer {
	b.e.t.Helper()
	page := b.do("GET", path, nil)
	for !strings.Contains(page.body, text) {
		m := nextLink.FindStringSubmatch(page.body)
		if m == nil {
			return page
		}
		page = b.do("GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	}
	return page
}

func (e *env) userRow(email string) (rows int, role string, active bool) {
	e.t.Helper()
	err := e.db.NewRaw(`SELECT count(*), coalesce(max(role), ''), coalesce(bool_or(is_active), false) FROM users WHERE email = ? AND deleted_at IS NULL`, email).
		Scan(context.Background(), &rows, &role, &active)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows, role, active
}

// TestUserForms: an admin creates a user, changes its role and deactivates
// it (which ends its sessions, as the API's deactivation does), audited.
func TestUserForms(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.signIn(user.RoleAdmin)
	email := "new-" + strings.ToLower(e.ip) + "@example.com"
	a := admin.do("POST", "/console/users", url.Values{"csrf": {admin.tokenOf("/console/users")}, "email": {email},
		"display_name": {"New"}, "password": {testPassword}, "role": {"viewer"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("create: %d %.1000s", a.status, a.body)
	}
	if n, role, active := e.userRow(email); n != 1 || role != "viewer" || !active {
		t.Fatalf("created: %d rows, %s, active %v", n, role, active)
	}
	newcomer := e.browser()
	if a := newcomer.login(email, testPassword); a.status != http.StatusSeeOther {
		t.Fatalf("the new user cannot sign in: %d", a.status)
	}
	m := regexp.MustCompile(`action="(/console/users/[0-9a-f-]+)(?:\?cursor=[^"]*)?"[^>]*><input type="hidden" name="csrf" value="[^"]*"><label for="role-[^"]+" class="sr-only">Role of ` + regexp.QuoteMeta(email)).
		FindStringSubmatch(admin.pageWith("/console/users", email).body)
	if m == nil {
		t.Fatal("no role form for the new user")
	}
	action := m
	if a := admin.do("POST", action[1], url.Values{"csrf": {admin.tokenOf("/console/users")}, "role": {"editor"}}); a.status != http.StatusSeeOther {
		t.Fatalf("role: %d", a.status)
	}
	if _, role, _ := e.userRow(email); role != "editor" {
		t.Fatalf("role now %s", role)
	}
	// A mangled choice is refused and deactivates nobody (it used to read as false).
	if a := admin.do("POST", action[1], url.Values{"csrf": {admin.tokenOf("/console/users")}, "is_active": {"no"}}); a.status != http.StatusBadRequest {
		t.Fatalf("is_active=no: %d", a.status)
	}
	if _, _, active := e.userRow(email); !active {
		t.Fatal("is_active=no deactivated the user")
	}
	if a := admin.do("POST", action[1], url.Values{"csrf": {admin.tokenOf("/console/users")}, "is_active": {"false"}}); a.status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", a.status)
	}
	if _, _, active := e.userRow(email); active {
		t.Fatal("still active")
	}
	if a := newcomer.do("GET", "/console/", nil); a.status != http.StatusSeeOther {
		t.Fatalf("a deactivated user's session still works: %d", a.status)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type IN ('user.created', 'user.updated') AND target_id = (SELECT id FROM users WHERE email = ?)`, email); n != 3 {
		t.Fatalf("%d user audit rows; want 3", n)
	}
}

// TestUserFormBadInputChangesNothing: the API's field errors sit beside
// the inputs, the email stays typed, the password does not come back.
func TestUserFormBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.signIn(user.RoleAdmin)
	before := e.count(`SELECT count(*) FROM users`)
	a := admin.do("POST", "/console/users", url.Values{"csrf": {admin.tokenOf("/console/users")}, "email": {"bad-" + e.ip + "@example.com"},
		"password": {"short"}, "role": {"root"}})
	if a.status != http.StatusBadRequest {
		t.Fatalf("bad user: %d", a.status)
	}
	for _, field := range []string{"password", "role"} {
		if !regexp.MustCompile(`name="` + field + `"[^>]*>(<option[^<]*</option>)*(</select>)?<span class="field-error">[^<]+</span>`).MatchString(a.body) {
			t.Errorf("no field error beside %s: %.4000s", field, a.body)
		}
	}
	if !strings.Contains(a.body, `value="bad-`+e.ip+`@example.com"`) || strings.Contains(a.body, `value="short"`) {
		t.Error("the form lost the email or echoed the password")
	}
	if after := e.count(`SELECT count(*) FROM users`); after != before {
		t.Fatalf("users %d -> %d", before, after)
	}
}

// TestUserFormsRoles: an editor (who may read users) sees no user control,
// and its posts are refused and audited.
func TestUserFormsRoles(t *testing.T) {
	e := newEnv(t)
	editor, ed := e.signIn(user.RoleEditor)
	victim := e.newUser(user.RoleViewer)
	body := editor.pageWith("/console/users", victim.Email()).body
	if !strings.Contains(body, victim.Email()) || strings.Contains(body, `action="/console/users`) {
		t.Fatal("an editor is shown a user control (or no list)")
	}
	a := editor.do("POST", "/console/users/"+victim.ID().String(), url.Values{"csrf": {editor.tokenOf("/console/users")}, "role": {"admin"}})
	if _, role, _ := e.userRow(victim.Email()); a.status != http.StatusForbidden || role != "viewer" {
		t.Fatalf("editor post: %d, role %s", a.status, role)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND actor_id = ?`, ed.ID().String()); n != 1 {
		t.Fatalf("%d access.denied rows", n)
	}
}

// TestUserRowRefusalSitsBesideItsRow: a refused role change shows its
// error in that user's row, not above the page, and changes nothing.
func TestUserRowRefusalSitsBesideItsRow(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.signIn(user.RoleAdmin)
	victim := e.newUser(user.RoleViewer)
	// The victim's page of users: its row form posts that page's cursor,
	// so the refusal shows it again.
	page := admin.pageWith("/console/users", victim.Email())
	action := regexp.MustCompile(`action="(/console/users/` + victim.ID().String() + `[^"]*)"`).FindStringSubmatch(page.body)
	a := admin.do("POST", strings.ReplaceAll(action[1], "&amp;", "&"), url.Values{"csrf": {csrf(t, page)}, "role": {"root"}})
	if a.status != http.StatusBadRequest {
		t.Fatalf("bad role: %d", a.status)
	}
	row := regexp.MustCompile(`(?s)<tr><td>` + regexp.QuoteMeta(victim.Email()) + `</td>.*?</tr>`).FindString(a.body)
	if !strings.Contains(row, `<span class="field-error row-error" role="alert">`) || !strings.Contains(row, "role: ") {
		t.Fatalf("no error in the row: %q", row)
	}
	if strings.Contains(a.body, `<p class="error" role="alert">`) {
		t.Fatal("the row's error is (also) above the page")
	}
	if _, role, _ := e.userRow(victim.Email()); role != "viewer" {
		t.Fatalf("role now %s", role)
	}
}
