package httpapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// auditFailsUA is a user agent whose audit rows the database refuses
// (failAuditRows), so tests make the audit insert fail for real.
const auditFailsUA = "audit-insert-must-fail"

var auditTrigger sync.Once

// failAuditRows installs, once, a trigger on this package's own test
// database that raises for every audit row carrying auditFailsUA. Other
// tests' rows are untouched, so they may run alongside.
func failAuditRows(t testing.TB, exec func(string, ...any)) {
	t.Helper()
	auditTrigger.Do(func() {
		exec(`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_agent = '` + auditFailsUA + `' THEN
        RAISE EXCEPTION 'audit insert refused by the test trigger';
    END IF;
    RETURN NEW;
END $$`)
		exec(`DROP TRIGGER IF EXISTS test_fail_audit ON audit_log`)
		exec(`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`)
	})
}

// TestAdminAuditIsFailClosed: when a request's audit row cannot be
// written, the request does not succeed (503) and nothing it would have
// changed or granted remains; the same request with a writable row gets
// its ordinary answer and its row.
func TestAdminAuditIsFailClosed(t *testing.T) {
	e := newAdminEnv(t)
	failAuditRows(t, e.exec)
	failing := []string{"User-Agent", auditFailsUA}
	viewer := e.newUser(user.RoleViewer)
	rows := func(event, actor string) int {
		return e.count(`SELECT count(*) FROM audit_log WHERE event_type = ? AND actor_id = ?`, event, actor)
	}

	t.Run("failed login", func(t *testing.T) {
		body := `{"email":"` + viewer.Email() + `","password":"wrong"}`
		if a := e.call("POST", "/api/v1/auth/login", "", body, failing...); a.status != 503 {
			t.Fatalf("failed login whose row is lost: %d, want 503: %s", a.status, a.body)
		}
		if a := e.call("POST", "/api/v1/auth/login", "", body); a.status != 401 {
			t.Fatalf("failed login: %d, want 401", a.status)
		}
		if n := rows("user.login_failed", viewer.ID().String()); n != 1 {
			t.Fatalf("%d user.login_failed rows, want 1 (the second attempt's)", n)
		}
	})
	t.Run("login", func(t *testing.T) {
		body := `{"email":"` + viewer.Email() + `","password":"` + testPassword + `"}`
		if a := e.call("POST", "/api/v1/auth/login", "", body, failing...); a.status != 503 {
			t.Fatalf("login whose row is lost: %d, want 503: %s", a.status, a.body)
		}
		if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, viewer.ID().String()); n != 0 {
			t.Fatalf("%d sessions opened without their user.login row", n)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		if a := e.call("GET", "/api/v1/audit-log", e.tokens[user.RoleViewer], "", failing...); a.status != 503 {
			t.Fatalf("refusal whose row is lost: %d, want 503: %s", a.status, a.body)
		}
		if a := e.call("GET", "/api/v1/audit-log", e.tokens[user.RoleViewer], ""); a.status != 403 {
			t.Fatalf("refusal: %d, want 403", a.status)
		}
	})
	t.Run("scope beyond the role", func(t *testing.T) {
		g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("scope")+`"}`)["id"].(string)
		path, body := "/api/v1/groups/"+g+"/api-keys", `{"name":"ci","scopes":["admin"]}`
		if a := e.call("POST", path, e.tokens[user.RoleEditor], body, failing...); a.status != 503 {
			t.Fatalf("refused grant whose row is lost: %d, want 503: %s", a.status, a.body)
		}
		if a := e.call("POST", path, e.tokens[user.RoleEditor], body); a.status != 403 {
			t.Fatalf("refused grant: %d, want 403: %s", a.status, a.body)
		}
	})
	t.Run("mutation", func(t *testing.T) {
		name := uniqueName("fail-closed")
		if a := e.call("POST", "/api/v1/groups", e.tokens[user.RoleAdmin], `{"name":"`+name+`"}`, failing...); a.status != 503 {
			t.Fatalf("mutation whose row is lost: %d, want 503: %s", a.status, a.body)
		}
		if n := e.count(`SELECT count(*) FROM groups WHERE name = ?`, name); n != 0 {
			t.Fatal("the group was created without its group.created row")
		}
	})
	t.Run("revoked API key", func(t *testing.T) {
		g := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("keys")+`"}`)["id"].(string)
		k := e.must(201, "POST", "/api/v1/groups/"+g+"/api-keys", `{"name":"ci","scopes":["read"]}`)
		e.must(204, "DELETE", "/api/v1/api-keys/"+k["id"].(string), "")
		secret := k["key"].(string)
		if a := e.call("GET", "/api/v1/groups", secret, "", failing...); a.status != 503 {
			t.Fatalf("revoked key whose api_key.rejected row is lost: %d, want 503: %s", a.status, a.body)
		}
		// The lost row did not use up the key's one row per interval.
		if a := e.call("GET", "/api/v1/groups", secret, ""); a.status != 401 {
			t.Fatalf("revoked key: %d, want 401", a.status)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'api_key.rejected' AND target_id = ? AND user_agent = ?`,
			k["id"], "extguard-admin-test"); n != 1 {
			t.Fatalf("%d api_key.rejected rows with the request's user agent, want 1", n)
		}
	})
}

// TestAgentAuditIsFailClosed: an enrollment or a decommissioned agent's
// refusal whose audit row cannot be written answers 503 and leaves nothing.
func TestAgentAuditIsFailClosed(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	failAuditRows(t, e.exec)
	failing := []string{"User-Agent", auditFailsUA}
	g := e.group("")
	key := e.key(g)
	if a := e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody("m-fail-closed"), failing...); a.status != 503 {
		t.Fatalf("enrollment whose row is lost: %d, want 503: %s", a.status, a.body)
	}
	if n := e.countRows(`SELECT count(*) FROM agents WHERE machine_id = 'm-fail-closed'`); n != 0 {
		t.Fatal("the agent was enrolled without its agent.enrolled row")
	}
	id := e.enroll(key, "m-fail-closed-decom")
	e.exec(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, id)
	e.agents.AgentChanged(context.Background(), domain.MustParseID(id))
	if a := e.call("POST", "/api/v1/agent/heartbeat", key, id, nil, failing...); a.status != 503 {
		t.Fatalf("decommissioned agent whose agent.refused row is lost: %d, want 503: %s", a.status, a.body)
	}
	if a := e.call("POST", "/api/v1/agent/heartbeat", key, id, nil); a.status != 403 || !strings.Contains(string(a.body), "decommissioned") {
		t.Fatalf("decommissioned agent: %d %s, want 403", a.status, a.body)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.refused' AND target_id = ?`, id); n != 1 {
		t.Fatalf("%d agent.refused rows, want 1", n)
	}
}
