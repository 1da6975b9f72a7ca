package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// TestAdminWrongMethodIs405WithAllow: a path the API has, with a method it
// does not take, is 405 naming the methods it does take.
func TestAdminWrongMethodIs405WithAllow(t *testing.T) {
	e := newAdminEnv(t)
	id := domain.NewID().String()
	for path, allow := range map[string]string{
		"/api/v1/groups":                   "GET, POST",
		"/api/v1/groups/" + id:             "DELETE, GET, PATCH",
		"/api/v1/webhooks/" + id + "/test": "POST",
	} {
		a := e.as(user.RoleAdmin, "PUT", path, "")
		if a.status != 405 || a.header.Get("Allow") != allow {
			t.Errorf("PUT %s: %d Allow %q, want 405 Allow %q: %s", path, a.status, a.header.Get("Allow"), allow, a.body)
		}
	}
	if a := e.as(user.RoleAdmin, "GET", "/api/v1/no-such-thing", ""); a.status != 404 || a.header.Get("Allow") != "" {
		t.Errorf("unknown path: %d Allow %q, want 404 without Allow", a.status, a.header.Get("Allow"))
	}
}

// Test401NamesTheBearerScheme: every 401 tells the client how to
// authenticate (RFC 9110 11.6.1), admin and agent routes alike.
func Test401NamesTheBearerScheme(t *testing.T) {
	e := newAdminEnv(t)
	for _, a := range []answer{
		e.call("GET", "/api/v1/groups", "", ""),
		e.call("GET", "/api/v1/groups", "egs_not-a-session", ""),
		e.call("POST", "/api/v1/auth/login", "", `{"email":"nobody@example.com","password":"wrong password!"}`),
	} {
		if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%d WWW-Authenticate %q, want 401 Bearer: %s", a.status, a.header.Get("WWW-Authenticate"), a.body)
		}
	}
	ag := newAgentEnv(t, envOptions{})
	if a := ag.heartbeat("", domain.NewID().String()); a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("agent: %d WWW-Authenticate %q, want 401 Bearer", a.status, a.header.Get("WWW-Authenticate"))
	}
}

// TestAdminCreateAnswersWhatAReadReturns: the 201 of a create and the GET
// that follows show the same resource, timestamps to the microsecond
// PostgreSQL keeps (the secret of the creation answer aside).
func TestAdminCreateAnswersWhatAReadReturns(t *testing.T) {
	e := newAdminEnv(t)
	for path, body := range map[string]string{
		"/api/v1/users":      `{"email":"` + uniqueName("same") + `@example.com","password":"` + testPassword + `","role":"viewer"}`,
		"/api/v1/groups":     `{"name":"` + uniqueName("same") + `"}`,
		"/api/v1/extensions": `{"extension_id":"` + uniqueName("same") + `.ext","pinned_version":"1.0.0"}`,
		"/api/v1/blocklist":  `{"pattern_type":"exact","pattern":"` + uniqueName("same") + `.ext"}`,
		"/api/v1/webhooks":   `{"url":"https://hooks.example.com/` + uniqueName("same") + `"}`,
	} {
		created := e.must(201, "POST", path, body)
		delete(created, "secret")
		read := e.must(200, "GET", path+"/"+created["id"].(string), "")
		if got, want := fmt.Sprint(read), fmt.Sprint(created); got != want {
			t.Errorf("%s: GET after 201 differs:\n 201 %s\n GET %s", path, want, got)
		}
	}
}
