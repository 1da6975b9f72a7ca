package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
)

// With Redis unreachable from the start, every endpoint still answers:
// caches step aside for PostgreSQL and rate limits fail open.
func TestAgentAPIAnswersWithRedisDown(t *testing.T) {
	e := newAgentEnv(t, envOptions{redisAddr: "127.0.0.1:1"})
	e.limiter.Sync(context.Background()) // learns Redis is unreachable
	key := e.key(e.group(""))
	id := e.enroll(key, "m-no-redis")
	if a := e.heartbeat(key, id); a.status != 200 {
		t.Fatalf("heartbeat: %d %s", a.status, a.body)
	}
	p := e.call("GET", "/api/v1/agent/policy", key, id, nil)
	if p.status != 200 {
		t.Fatalf("policy: %d", p.status)
	}
	if a := e.call("GET", "/api/v1/agent/policy", key, id, nil, "If-None-Match", p.header.Get("ETag")); a.status != 304 {
		t.Fatalf("policy 304: %d", a.status)
	}
	if a := e.call("POST", "/api/v1/agent/reports", key, id, reportBody(time.Now(), installed("a.b", "1.0.0"))); a.status != 200 {
		t.Fatalf("report: %d %s", a.status, a.body)
	}
	if e.limiter.FailOpens() == 0 {
		t.Fatal("rate limits were not counted as failing open")
	}
	if e.bus.Connected() {
		t.Fatal("the bus claims a connection to a closed port")
	}
}

// Redis going away mid-run: the caches stop being trusted at once (a
// revocation made meanwhile by an instance that could not publish it is
// seen on the next request), and when Redis returns the caches start empty.
func TestRedisOutageMidRunBypassesThenResetsCaches(t *testing.T) {
	proxy := redistest.NewProxy(t, redistest.Options(t).Addr)
	e := newAgentEnv(t, envOptions{redisAddr: proxy.Addr})
	e.waitConnected(true)
	ctx := context.Background()
	g := e.group("")
	key := e.key(g)
	id := e.enroll(key, "m-outage")
	if a := e.heartbeat(key, id); a.status != 200 {
		t.Fatalf("heartbeat: %d", a.status)
	}
	before := queries.n.Load()
	if a := e.heartbeat(key, id); a.status != 200 || queries.n.Load() != before {
		t.Fatalf("warm heartbeat: %d, %d statements", a.status, queries.n.Load()-before)
	}

	proxy.Cut()
	e.waitConnected(false)
	// Another instance revokes the key; its invalidation cannot reach us.
	e.exec(`UPDATE api_keys SET revoked_at = now() WHERE key_hash = ?`, mustHash(t, key))
	if a := e.heartbeat(key, id); a.status != 401 {
		t.Fatalf("revoked key during the outage: %d, want 401", a.status)
	}
	key2 := e.key(g)
	if a := e.heartbeat(key2, id); a.status != 200 {
		t.Fatalf("heartbeat during the outage: %d %s", a.status, a.body)
	}
	e.limiter.Sync(ctx)
	if a := e.heartbeat(key2, id); a.status != 200 || e.limiter.FailOpens() == 0 {
		t.Fatalf("rate limits did not fail open: %d, %d", a.status, e.limiter.FailOpens())
	}

	// Meanwhile the group's policy changes without anyone telling us.
	e.exec(`UPDATE groups SET settings = '{"enforcement":"enforce"}' WHERE id = ?`, g.String())
	proxy.Restore(t)
	e.waitConnected(true)
	hb := e.heartbeat(key2, id)
	p := e.call("GET", "/api/v1/agent/policy", key2, id, nil)
	if hb.status != 200 || hb.json(t)["policy_etag"] != p.header.Get("ETag") || p.json(t)["enforcement"] != "enforce" {
		t.Fatalf("after Redis returned: heartbeat %s, policy %s", hb.body, p.body)
	}
	before = queries.n.Load()
	if a := e.heartbeat(key2, id); a.status != 200 || queries.n.Load() != before {
		t.Fatalf("caches not back in use after Redis returned: %d statements", queries.n.Load()-before)
	}
}
