package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// Two instances on one database and one Redis, as a deployment runs them.
// What one instance changes, the other must stop serving from its caches
// within moments, through the invalidation bus: the caches' own TTLs (a
// minute for keys, ten for agents and policies) are far longer than the
// two seconds this test waits.
func TestChangesOnOneInstanceReachTheOther(t *testing.T) {
	// Limits no polling below can reach: a 429 must not pass for news.
	limits := &application.AgentRateLimits{PerKey: 1_000_000, PerAgent: 1_000_000, Window: time.Minute}
	a, b := newAgentEnv(t, envOptions{limits: limits}), newAgentEnv(t, envOptions{limits: limits})
	ctx := context.Background()
	g := a.group("")
	key := a.key(g)
	first, second := a.enroll(key, "m-instances-1"), a.enroll(key, "m-instances-2")
	// B caches the key, both agents and the group's policy.
	etag := ""
	for _, id := range []string{first, second} {
		hb := b.heartbeat(key, id)
		if hb.status != 200 {
			t.Fatalf("heartbeat on B: %d %s", hb.status, hb.body)
		}
		etag, _ = hb.json(t)["policy_etag"].(string)
	}
	within := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); !done(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("instance B still serves the old state 2 s after %s on instance A", what)
			}
		}
	}

	a.exec(`UPDATE groups SET settings = '{"enforcement":"enforce"}' WHERE id = ?`, g.String())
	a.policies.GroupChanged(ctx, g)
	within("a policy change", func() bool {
		hb := b.heartbeat(key, first)
		return hb.status == 200 && hb.json(t)["policy_etag"] != etag
	})

	a.exec(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, first)
	a.agents.AgentChanged(ctx, domain.MustParseID(first))
	within("a decommission", func() bool { return b.heartbeat(key, first).status == 403 })

	if err := a.revokeKey.Execute(ctx, admin, user.RoleAdmin, keyID(t, a, key)); err != nil {
		t.Fatal(err)
	}
	within("a key's revocation", func() bool { return b.heartbeat(key, second).status == 401 })
}
