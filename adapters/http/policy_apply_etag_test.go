package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/policyfile"
	"github.com/extguard/extguard/domain/audit"
)

// TestPolicyApplyReachesAgentsAtTheirNextHeartbeat: an apply invalidates
// the compiled policies the way REST writes do (after its commit, through
// the bus), so the very next heartbeat answers the new policy's ETag, and
// GET /agent/policy serves it; no cache expiry is waited for.
func TestPolicyApplyReachesAgentsAtTheirNextHeartbeat(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	ctx := context.Background()
	g := e.group(`{"mode":"allowlist"}`)
	key := e.key(g)
	agent := e.enroll(key, "m-apply-etag")
	etag := e.call("GET", "/api/v1/agent/policy", key, agent, nil).header.Get("ETag") // cached now
	if hb := e.heartbeat(key, agent).json(t); hb["policy_etag"] != etag {
		t.Fatalf("heartbeat %v, policy %s", hb["policy_etag"], etag)
	}
	apply := func(file string) {
		t.Helper()
		f, err := policyfile.Parse([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := e.uc.PlanPolicy.Execute(ctx, f, false)
		if err != nil || len(plan.Changes) != 1 {
			t.Fatalf("plan: %+v %v", plan.Changes, err)
		}
		if _, err := e.uc.ApplyPolicy.Execute(ctx, audit.SystemActor(), f, false, plan.Revision); err != nil {
			t.Fatal(err)
		}
	}
	next := func(what string) {
		t.Helper()
		hb := e.heartbeat(key, agent).json(t)["policy_etag"]
		served := e.call("GET", "/api/v1/agent/policy", key, agent, nil).header.Get("ETag")
		if hb == etag || hb != served {
			t.Fatalf("after %s: heartbeat answers %v (was %s), policy serves %s", what, hb, etag, served)
		}
		etag = served
	}
	apply("version: 1\ngroups:\n  - {name: g-" + g.String() + ", settings: {mode: blocklist, enforcement: enforce}}\n")
	next("a group's settings")
	apply("version: 1\nblocklist:\n  - {pattern_type: exact, pattern: " + strings.ToLower("etag-"+g.String()[24:]) + ".miner}\n")
	next("a blocklist entry")
}
