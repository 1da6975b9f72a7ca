package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

// enrolledUserHash is the user hash enrollBody sends.
const enrolledUserHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// The agent cache answers an agent with its id, group, status, machine id
// and user hash only (application.AgentLookup). Everything the agent API
// writes from the agent it authorized, served from that cache, must still
// be whole: a report's history row, an extension request's audit row, a
// decommissioned agent's refusal.
func TestAgentRequestsServedFromTheCacheWriteWholeRows(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	g := e.group("")
	key := e.key(g)
	id := e.enroll(key, "m-cache-fields")
	e.settle(key, id) // the agent now comes from the cache

	if a := e.call("POST", "/api/v1/agent/reports", key, id, reportBody(time.Now(), installed("ms-python.python", "2024.2.1"))); a.status != 200 {
		t.Fatalf("report: %d %s", a.status, a.body)
	}
	if n := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ? AND group_id = ? AND user_hash = ?`, id, g.String(), enrolledUserHash); n != 1 {
		t.Errorf("%d history rows with the agent's group and user hash, want 1", n)
	}
	if a := e.call("POST", "/api/v1/agent/requests", key, id, []byte(`{"extension_id":"ms-toolsai.jupyter","reason":"notebooks"}`)); a.status != 201 {
		t.Fatalf("request: %d %s", a.status, a.body)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'extension_request.created' AND group_id = ?
		AND actor_id = ? AND details->>'machine_id' = 'm-cache-fields' AND details->>'user_hash' = ? AND details->>'agent_id' = ?`,
		g.String(), id, enrolledUserHash, id); n != 1 {
		t.Errorf("%d whole extension_request.created rows, want 1", n)
	}

	e.exec(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, id)
	e.agents.AgentChanged(context.Background(), domain.MustParseID(id))
	deadline := time.Now().Add(5 * time.Second)
	for e.heartbeat(key, id).status != 403 { // the invalidation reaches the cache through Redis
		if time.Now().After(deadline) {
			t.Fatal("a decommissioned agent's heartbeat still answered after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a := e.heartbeat(key, id); a.status != 403 { // now from the cache, decommissioned
		t.Fatalf("heartbeat of a decommissioned agent: %d", a.status)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.refused' AND group_id = ? AND target_id = ?
		AND details->>'machine_id' = 'm-cache-fields'`, g.String(), id); n != 1 {
		t.Errorf("%d whole agent.refused rows, want 1", n)
	}
}
