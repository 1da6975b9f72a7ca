package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/user"
)

// Every row of the contract's status table (package agentv1's Errors).
func TestAgentStatusTable(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	ctx := context.Background()
	g, other := e.group(""), e.group("")
	key, otherKey := e.key(g), e.key(other)
	agentID := e.enroll(key, "m-status")
	otherAgent := e.enroll(otherKey, "m-status-other")

	expired := e.key(g)
	e.exec(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_hash = ?`, mustHash(t, expired))
	revoked := e.key(g)
	revokedID := keyID(t, e, revoked)
	if err := e.revokeKey.Execute(ctx, admin, user.RoleAdmin, revokedID); err != nil {
		t.Fatal(err)
	}
	readOnly := e.key(g, "read")
	decommissioned := e.enroll(key, "m-status-decom")
	e.exec(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, decommissioned)
	e.agents.AgentChanged(ctx, domain.MustParseID(decommissioned))
	unknownKey, _ := apikey.GenerateSecret(strings.NewReader(strings.Repeat("k", 64)))

	cases := []struct {
		name, key, agent string
		want             int
	}{
		{"missing key", "", agentID, 401},
		{"malformed key", "egk_nonsense", agentID, 401},
		{"checksum mismatch", key[:len(key)-1] + flip(key[len(key)-1]), agentID, 401},
		{"unknown key", unknownKey.String(), agentID, 401},
		{"expired key", expired, agentID, 401},
		{"revoked key", revoked, agentID, 401},
		{"key without the agent scope", readOnly, agentID, 403},
		{"agent of another group", key, otherAgent, 403},
		{"unknown agent", key, domain.NewID().String(), 403},
		{"decommissioned agent", key, decommissioned, 403},
		{"malformed agent id", key, "not-a-uuid", 400},
		{"missing agent id", key, "", 400},
		{"good", key, agentID, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, ep := range []struct {
				method, path string
				body         []byte
			}{
				{"POST", "/api/v1/agent/heartbeat", nil}, {"GET", "/api/v1/agent/policy", nil},
				{"POST", "/api/v1/agent/reports", reportBody(time.Now(), installed("ms-python.python", "2024.2.1"))}} {
				a := e.call(ep.method, ep.path, c.key, c.agent, ep.body)
				if a.status != c.want {
					t.Fatalf("%s %s: %d, want %d (%s)", ep.method, ep.path, a.status, c.want, a.body)
				}
				if c.want >= 400 && a.header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("error without problem+json: %q", a.header.Get("Content-Type"))
				}
			}
		})
	}
	// Enrollment has no agent yet, but the key rows hold for it too.
	for _, k := range []struct {
		key  string
		want int
	}{{"", 401}, {expired, 401}, {revoked, 401}, {readOnly, 403}} {
		if a := e.call("POST", "/api/v1/agent/enroll", k.key, "", enrollBody("m-x")); a.status != k.want {
			t.Fatalf("enroll with %q: %d, want %d", k.key, a.status, k.want)
		}
	}

	// Anomalies are audited, once per key / agent however often they knock.
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'api_key.rejected' AND target_id = ?`, revokedID.String()); n != 1 {
		t.Fatalf("%d audit rows for the revoked key, want 1", n)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'api_key.rejected' AND details->>'reason' = 'expired'`); n != 1 {
		t.Fatalf("%d audit rows for the expired key, want 1", n)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.refused' AND target_id = ?`, decommissioned); n != 1 {
		t.Fatalf("%d audit rows for the decommissioned agent, want 1", n)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.refused' AND client_ip IS NOT NULL`); n == 0 {
		t.Fatal("the refusal's audit row has no client ip")
	}

	t.Run("body over 1 MiB", func(t *testing.T) {
		// Over a real socket: fasthttp refuses a declared length over the
		// limit before reading the body.
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.listen(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/v1/agent/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"X-Agent-ID: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", key, agentID, 1<<20+1)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("%d, want 413", resp.StatusCode)
		}
		checkServed(t, httptest.NewRequest("POST", "/api/v1/agent/reports", nil), answer{status: resp.StatusCode, header: resp.Header, body: body})
	})
	t.Run("over 5000 extensions", func(t *testing.T) {
		items := make([]string, 5001)
		for i := range items {
			items[i] = `{"extension_id":"p.e` + strconv.Itoa(i) + `","installed":false,"editor":"vscode"}`
		}
		a := e.call("POST", "/api/v1/agent/reports", key, agentID, reportBody(time.Now(), items...))
		if a.status != 413 || a.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s, want 413 problem", a.status, a.header.Get("Content-Type"))
		}
	})
	t.Run("a MiB of empty items is refused before it is decoded", func(t *testing.T) {
		// Decoded, 349,000 {} items cost 126 MB. The trailing wrong type
		// would be a 400 from the decoder: 413 shows the body was refused
		// before decoding.
		for _, item := range []string{"{}", "null"} {
			n := (1<<20 - 100) / (len(item) + 1)
			body := `{"policy_etag":"x","extensions":[` + strings.Repeat(item+",", n-1) + item + `],"reported_at":5}`
			a := e.call("POST", "/api/v1/agent/reports", key, agentID, []byte(body))
			if a.status != 413 || !strings.Contains(string(a.body), "lists "+strconv.Itoa(n)+" extensions") {
				t.Fatalf("%d items %s: %d %s, want 413 naming the count", n, item, a.status, a.body)
			}
		}
	})
	t.Run("invalid fields", func(t *testing.T) {
		a := e.call("POST", "/api/v1/agent/reports", key, agentID, reportBody(time.Now(),
			`{"extension_id":"not an id","installed":true,"editor":"notepad"}`))
		if a.status != 400 {
			t.Fatalf("%d, want 400", a.status)
		}
		errs, _ := a.json(t)["errors"].([]any)
		if len(errs) < 3 {
			t.Fatalf("want every bad field named, got %s", a.body)
		}
	})
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func mustHash(t testing.TB, key string) string {
	s, err := apikey.ParseSecret(key)
	if err != nil {
		t.Fatal(err)
	}
	return s.Hash()
}

func keyID(t testing.TB, e *agentEnv, key string) domain.ID {
	var id string
	if err := e.db.NewRaw(`SELECT id::text FROM api_keys WHERE key_hash = ?`, mustHash(t, key)).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return domain.MustParseID(id)
}

func TestAgentRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	e := newAgentEnv(t, envOptions{limits: &application.AgentRateLimits{PerKey: 1000, PerAgent: 3, Window: time.Minute}})
	g := e.group("")
	key := e.key(g)
	a1, a2 := e.enroll(key, "m-rl-1"), e.enroll(key, "m-rl-2")
	for i := range 3 {
		if a := e.heartbeat(key, a1); a.status != 200 {
			t.Fatalf("heartbeat %d: %d", i, a.status)
		}
	}
	a := e.heartbeat(key, a1)
	if a.status != 429 {
		t.Fatalf("4th heartbeat: %d, want 429", a.status)
	}
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", a.header.Get("Retry-After"))
	}
	if a := e.heartbeat(key, a2); a.status != 200 {
		t.Fatalf("another agent of the key: %d, want 200", a.status)
	}

	// The per-key limit, shared with another instance through Redis.
	e2 := newAgentEnv(t, envOptions{limits: &application.AgentRateLimits{PerKey: 5, PerAgent: 1000, Window: time.Minute}})
	key2 := e2.key(g)
	b := e2.enroll(key2, "m-rl-3")
	e2.limiter.Sync(context.Background())
	statuses := []int{}
	var last answer
	for range 6 {
		last = e2.heartbeat(key2, b)
		statuses = append(statuses, last.status)
		e2.limiter.Sync(context.Background())
	}
	if statuses[len(statuses)-1] != 429 || statuses[0] != 200 {
		t.Fatalf("per-key statuses %v, want 200… then 429", statuses)
	}
	if s, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("per-key 429: Retry-After %q", last.header.Get("Retry-After"))
	}
}

func TestEnrollmentIsIdempotentAndReenrollsDecommissioned(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	ctx := context.Background()
	g := e.group(`{"heartbeat_interval_s": 120}`)
	key := e.key(g)
	first := e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody("m-idem"))
	if first.status != 201 {
		t.Fatalf("first enrollment %d %s", first.status, first.body)
	}
	body := first.json(t)
	if body["group_id"] != g.String() || body["heartbeat_interval_s"] != float64(120) || !strings.HasPrefix(body["policy_etag"].(string), `"p-`) {
		t.Fatalf("answer %s", first.body)
	}
	id := body["agent_id"].(string)
	again := e.call("POST", "/api/v1/agent/enroll", key, "", bytes.Replace(enrollBody("m-idem"), []byte("1.0.0"), []byte("1.1.0"), 1))
	if again.status != 200 || again.json(t)["agent_id"] != id {
		t.Fatalf("second enrollment %d %s, want 200 with the same id", again.status, again.body)
	}
	if v := e.countRows(`SELECT count(*) FROM agents WHERE id = ? AND agent_version = '1.1.0'`, id); v != 1 {
		t.Fatal("re-enrollment did not update the agent's fields")
	}

	// Decommissioned by the admin API: refused until it enrolls again.
	e.exec(`UPDATE agents SET status = 'decommissioned' WHERE id = ?`, id)
	e.agents.AgentChanged(ctx, domain.MustParseID(id))
	if a := e.heartbeat(key, id); a.status != 403 {
		t.Fatalf("heartbeat of a decommissioned agent: %d", a.status)
	}
	back := e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody("m-idem"))
	if back.status != 200 || back.json(t)["agent_id"] != id {
		t.Fatalf("re-enrolling a decommissioned machine: %d %s", back.status, back.body)
	}
	if a := e.heartbeat(key, id); a.status != 200 {
		t.Fatalf("heartbeat after re-enrollment: %d %s", a.status, a.body)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.enrolled' AND target_id = ?`, id); n != 1 {
		t.Fatalf("%d enrollment audit rows", n)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.reenrolled' AND target_id = ? AND details->>'was_decommissioned' = 'true'`, id); n != 1 {
		t.Fatalf("%d audited re-enrollments of the decommissioned machine", n)
	}

	// Concurrent first enrollments of one machine: one agent.
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody("m-race")).status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == 201 {
			created++
		} else if s != 200 {
			t.Fatalf("concurrent enrollment answered %d", s)
		}
	}
	if created != 1 || e.countRows(`SELECT count(*) FROM agents WHERE machine_id = 'm-race'`) != 1 {
		t.Fatalf("%d created of %v", created, statuses)
	}
}

func TestHeartbeatAndPolicy304UseNoSQLAndFlushInOneStatement(t *testing.T) {
	e := newAgentEnv(t, envOptions{limits: &application.AgentRateLimits{PerKey: 10_000, PerAgent: 1000, Window: time.Minute}})
	ctx := context.Background()
	g := e.group("")
	key := e.key(g)
	ids := []string{e.enroll(key, "m-hb-1"), e.enroll(key, "m-hb-2"), e.enroll(key, "m-hb-3")}
	e.exec(`UPDATE agents SET status = 'stale', last_heartbeat = now() - interval '1 hour' WHERE id = ?`, ids[0])
	e.agents.AgentChanged(ctx, domain.MustParseID(ids[0]))
	etag := e.call("GET", "/api/v1/agent/policy", key, ids[0], nil).header.Get("ETag") // warm the caches
	for _, id := range ids {
		e.heartbeat(key, id)
	}
	if err := e.heartbeats.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	e.settle(key, ids...)

	before := queries.n.Load()
	for range 50 {
		for _, id := range ids {
			if a := e.heartbeat(key, id); a.status != 200 || a.json(t)["policy_etag"] != etag {
				t.Fatalf("heartbeat: %d %s", a.status, a.body)
			}
			if a := e.call("GET", "/api/v1/agent/policy", key, id, nil, "If-None-Match", etag); a.status != 304 || len(a.body) != 0 {
				t.Fatalf("policy with the current ETag: %d %q", a.status, a.body)
			}
		}
	}
	if n := queries.n.Load() - before; n != 0 {
		t.Fatalf("300 heartbeats and 304s sent %d SQL statements, want 0", n)
	}
	// A malformed key and a mistyped one (checksum mismatch) are refused
	// without a lookup.
	for _, bad := range []string{"egk_nonsense", key[:len(key)-1] + flip(key[len(key)-1])} {
		if a := e.heartbeat(bad, ids[0]); a.status != 401 {
			t.Fatalf("heartbeat with %q: %d, want 401", bad, a.status)
		}
	}
	if n := queries.n.Load() - before; n != 0 {
		t.Fatalf("refusing malformed keys sent %d SQL statements, want 0", n)
	}
	if err := e.heartbeats.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// One transaction: BEGIN, the UPDATE, the revived agent's audit row, COMMIT.
	if n := queries.n.Load() - before; n > 4 {
		t.Fatalf("the flush sent %d statements", n)
	}
	if n := e.countRows(`SELECT count(*) FROM agents WHERE id IN (?, ?, ?) AND status = 'active'
		AND last_heartbeat > now() - interval '1 minute' AND last_sync > now() - interval '1 minute'`, ids[0], ids[1], ids[2]); n != 3 {
		t.Fatalf("%d agents carry the flushed heartbeat and sync, want 3", n)
	}
	if n := e.countRows(`SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ? AND details->>'from' = 'stale'`, ids[0]); n != 1 {
		t.Fatalf("the revival of the stale agent was audited %d times", n)
	}
	// What `make build` stamps on a checkout between tags.
	a := e.call("POST", "/api/v1/agent/heartbeat", key, ids[1], []byte(`{"agent_version":" 0.0.0-dev+e282363.dirty "}`))
	if a.status != 200 {
		t.Fatalf("heartbeat with a version: %d %s", a.status, a.body)
	}
	if a := e.call("POST", "/api/v1/agent/heartbeat", key, ids[1], []byte(`{"agent_version":"1.0\u0007"}`)); a.status != 400 ||
		!strings.Contains(string(a.body), "agent_version") {
		t.Fatalf("heartbeat with a control character in its version: %d %s", a.status, a.body)
	}
	_ = e.heartbeats.Flush(ctx)
	if n := e.countRows(`SELECT count(*) FROM agents WHERE id = ? AND agent_version = '0.0.0-dev+e282363.dirty'`, ids[1]); n != 1 {
		t.Fatal("the announced agent version was not stored")
	}
	// last_used_at waits for the usage recorder's own flush (an hour here):
	// hundreds of authentications wrote nothing.
	if n := e.countRows(`SELECT count(*) FROM api_keys WHERE key_hash = ? AND last_used_at IS NULL`, mustHash(t, key)); n != 1 {
		t.Fatal("authentication wrote last_used_at per request")
	}
}

func TestPolicyETagChangesWhenAndOnlyWhenTheGroupsPolicyChanges(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	ctx := context.Background()
	a, b := e.group(`{"mode":"blocklist"}`), e.group(`{"mode":"allowlist"}`)
	keyA, keyB := e.key(a), e.key(b)
	agentA, agentB := e.enroll(keyA, "m-etag-a"), e.enroll(keyB, "m-etag-b")
	policy := func(key, id string) (string, map[string]any) {
		r := e.call("GET", "/api/v1/agent/policy", key, id, nil)
		if r.status != 200 {
			t.Fatalf("policy: %d %s", r.status, r.body)
		}
		body := r.json(t)
		if body["etag"] != r.header.Get("ETag") {
			t.Fatalf("body etag %v, header %q", body["etag"], r.header.Get("ETag"))
		}
		return r.header.Get("ETag"), body
	}
	ea, docA := policy(keyA, agentA)
	eb, _ := policy(keyB, agentB)
	if docA["mode"] != "blocklist" || docA["group_id"] != a.String() || docA["required"] == nil || docA["generated_at"] == nil {
		t.Fatalf("policy document %v", docA)
	}
	if ea == eb {
		t.Fatal("two groups share an ETag")
	}

	// A no-op invalidation recompiles to the same ETag.
	e.policies.GroupChanged(ctx, a)
	if got, _ := policy(keyA, agentA); got != ea {
		t.Fatalf("ETag changed without a policy change: %s -> %s", ea, got)
	}
	// Group A's settings change: A's ETag changes (heartbeat too), B's does not.
	e.exec(`UPDATE groups SET settings = '{"mode":"blocklist","enforcement":"enforce"}' WHERE id = ?`, a.String())
	e.policies.GroupChanged(ctx, a)
	ea2, doc := policy(keyA, agentA)
	if ea2 == ea || doc["enforcement"] != "enforce" {
		t.Fatalf("settings change: ETag %s -> %s, enforcement %v", ea, ea2, doc["enforcement"])
	}
	if hb := e.heartbeat(keyA, agentA).json(t); hb["policy_etag"] != ea2 {
		t.Fatalf("heartbeat answers %v, want the new ETag %s", hb["policy_etag"], ea2)
	}
	if got, _ := policy(keyB, agentB); got != eb {
		t.Fatal("another group's ETag changed")
	}
	if r := e.call("GET", "/api/v1/agent/policy", keyA, agentA, nil, "If-None-Match", ea); r.status != 200 {
		t.Fatalf("the old ETag got %d, want 200", r.status)
	}
	// An assignment to group B only.
	extID := domain.NewID()
	e.exec(`INSERT INTO extensions (id, extension_id, name, publisher, pinned_version) VALUES (?, 'ms-python.python', 'Python', 'ms-python', '2024.2.1')`, extID.String())
	e.exec(`INSERT INTO group_extensions (group_id, extension_id, is_required) VALUES (?, ?, true)`, b.String(), extID.String())
	e.policies.GroupChanged(ctx, b)
	eb2, docB := policy(keyB, agentB)
	if eb2 == eb || len(docB["required"].([]any)) != 1 {
		t.Fatalf("assignment: ETag %s -> %s, required %v", eb, eb2, docB["required"])
	}
	if got, _ := policy(keyA, agentA); got != ea2 {
		t.Fatal("group A's ETag changed with B's assignment")
	}
	// A blocklist entry affects every group (other tests of the package
	// may have left entries of their own: count ours).
	blockedBefore := len(docA["blocked"].([]any))
	e.exec(`INSERT INTO blocklist (pattern_type, pattern, reason) VALUES ('publisher', ?, 'malware')`, "evil"+strings.ReplaceAll(a.String(), "-", "")[:12])
	e.policies.AllGroupsChanged(ctx)
	ea3, docA3 := policy(keyA, agentA)
	eb3, _ := policy(keyB, agentB)
	if ea3 == ea2 || eb3 == eb2 || len(docA3["blocked"].([]any)) != blockedBefore+1 {
		t.Fatalf("blocklist: A %s -> %s, B %s -> %s", ea2, ea3, eb2, eb3)
	}
	for _, inm := range []string{ea3, `W/` + ea3, `"x", ` + ea3, "*"} {
		if r := e.call("GET", "/api/v1/agent/policy", keyA, agentA, nil, "If-None-Match", inm); r.status != 304 {
			t.Fatalf("If-None-Match %s: %d", inm, r.status)
		}
	}
}
