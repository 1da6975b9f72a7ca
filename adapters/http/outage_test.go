package httpapi_test

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain/user"
)

// requireOutageAnswer fails unless a is a 503 problem with Retry-After whose
// body says nothing of the database's address, statements or driver.
func requireOutageAnswer(t *testing.T, what string, a answer, o *pgtest.Outage) {
	t.Helper()
	if a.status != 503 {
		t.Fatalf("%s: status %d, want 503: %s", what, a.status, a.body)
	}
	if a.header.Get("Retry-After") == "" {
		t.Errorf("%s: 503 without Retry-After", what)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: content type %q, want problem+json", what, ct)
	}
	body := strings.ToLower(string(a.body))
	for _, leak := range []string{o.Addr(), "127.0.0.1", "select", "insert", "dial", "eof", "sqlstate", "extguard_test"} {
		if strings.Contains(body, strings.ToLower(leak)) {
			t.Errorf("%s: the answer names %q: %s", what, leak, a.body)
		}
	}
}

func TestAdminRoutesAnswer503WhenTheDatabaseIsGone(t *testing.T) {
	o := pgtest.NewOutage(t, postgres.DefaultPool())
	e := newAdminEnvOn(t, o.DB)
	e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("outage")+`"}`)
	o.Cut()
	requireOutageAnswer(t, "list groups", e.as(user.RoleAdmin, "GET", "/api/v1/groups", ""), o)
	requireOutageAnswer(t, "create group", e.as(user.RoleAdmin, "POST", "/api/v1/groups", `{"name":"`+uniqueName("outage")+`"}`), o)
}

func TestAgentRoutesAnswer503WhenTheDatabaseIsGone(t *testing.T) {
	o := pgtest.NewOutage(t, postgres.DefaultPool())
	e := newAgentEnv(t, envOptions{db: o.DB})
	key := e.key(e.group(""))
	o.Cut()
	requireOutageAnswer(t, "enroll", e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody("outage-machine")), o)
}
