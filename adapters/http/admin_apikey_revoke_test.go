package httpapi_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// TestRevokingAKeyTakesThePowerCreatingItTook: an admin or read key can only
// be created by an admin, so only an admin may revoke it; otherwise an editor
// cuts off the automation an admin runs. The use case holds every caller to
// it (a refusal changes nothing and writes no revocation row); through the
// API the refusal is a 403 audited as access.denied. Editors still revoke
// the agent keys they may create.
func TestRevokingAKeyTakesThePowerCreatingItTook(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	gid := e.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("revocation")+`"}`)["id"].(string)
	adminKey := e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"gitops","scopes":["admin"]}`)["id"].(string)
	readKey := e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"siem","scopes":["read"]}`)["id"].(string)
	agentKey := e.must(201, "POST", "/api/v1/groups/"+gid+"/api-keys", `{"name":"fleet","scopes":["agent"]}`)["id"].(string)
	editor := audit.Actor{Type: audit.ActorUser, ID: e.newUser(user.RoleEditor).ID()}
	revoked := func(id string) int {
		return e.count(`SELECT count(*) FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL`, id) +
			e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'api_key.revoked' AND target_id = ?`, id)
	}

	for _, id := range []string{adminKey, readKey} {
		err := e.uc.RevokeAPIKey.Execute(ctx, editor, user.RoleEditor, domain.MustParseID(id))
		if domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("the use case let an editor revoke a key only an admin may create: %v", err)
		}
		denied := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND details->>'required_permission' = ?`, "revoke_key:"+id)
		if a := e.as(user.RoleEditor, "DELETE", "/api/v1/api-keys/"+id, ""); a.status != 403 {
			t.Fatalf("editor revoking an admin-created key: %d %s, want 403", a.status, a.body)
		}
		if got := e.count(`SELECT count(*) FROM audit_log WHERE event_type = 'access.denied' AND details->>'required_permission' = ?`, "revoke_key:"+id); got != denied+1 {
			t.Fatalf("the refusal wrote %d access.denied rows, want 1", got-denied)
		}
		if n := revoked(id); n != 0 {
			t.Fatalf("a refused revocation left %d traces (revoked_at, audit row)", n)
		}
	}
	if a := e.as(user.RoleEditor, "DELETE", "/api/v1/api-keys/"+agentKey, ""); a.status != 204 {
		t.Fatalf("editor revoking an agent key: %d %s, want 204", a.status, a.body)
	}
	e.must(204, "DELETE", "/api/v1/api-keys/"+adminKey, "")
	if n := revoked(adminKey) + revoked(agentKey); n != 4 {
		t.Fatalf("the allowed revocations left %d of their 4 traces", n)
	}
}
