package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// requestsEnv is two API instances on one database and one Redis: the
// agent API (agentEnv) and the admin API (adminEnv), so an approval reaches
// the agents' caches only through the invalidation bus, as in production.
type requestsEnv struct {
	*agentEnv
	admin  *adminEnv
	expire application.ExpireGrants
}

func newRequestsEnv(t *testing.T) *requestsEnv {
	db := testDB(t)
	ag := newAgentEnv(t, envOptions{db: db})
	repo := postgres.NewExceptionRepository(db)
	return &requestsEnv{agentEnv: ag, admin: newAdminEnvOn(t, db), expire: application.ExpireGrants{
		Tx: postgres.NewTxRunner(db), Exceptions: repo, Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{},
		Invalidator: ag.policies, ExceptionBus: redis.NewExceptionOverlay(repo, ag.bus)}}
}

func (e *requestsEnv) ask(key, agentID, body string) answer {
	return e.call("POST", "/api/v1/agent/requests", key, agentID, []byte(body))
}

// etagOf is the ETag the agent's heartbeat names.
func (e *requestsEnv) etagOf(key, agentID string) string {
	e.t.Helper()
	a := e.heartbeat(key, agentID)
	if a.status != 200 {
		e.t.Fatalf("heartbeat: %d %s", a.status, a.body)
	}
	return a.json(e.t)["policy_etag"].(string)
}

// waitETag waits until the agent's heartbeat names a policy other than
// (changed) or equal to (!changed) etag.
func (e *requestsEnv) waitETag(key, agentID, etag string, changed bool) string {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got := e.etagOf(key, agentID); (got != etag) == changed {
			return got
		}
	}
	e.t.Fatalf("agent %s: ETag never %s %s", agentID, map[bool]string{true: "left", false: "came back to"}[changed], etag)
	return ""
}

// verdict reports dev.tool installed and answers the verdict.
func (e *requestsEnv) verdict(key, agentID, id string) map[string]any {
	e.t.Helper()
	a := e.call("POST", "/api/v1/agent/reports", key, agentID, reportBody(time.Now(), installed(id, "1.0.0")))
	if a.status != 200 {
		e.t.Fatalf("report: %d %s", a.status, a.body)
	}
	return a.json(e.t)
}

func uninstalls(v map[string]any, id string) bool {
	acts, _ := v["actions"].([]any)
	for _, x := range acts {
		if m := x.(map[string]any); m["action"] == "uninstall" && m["extension_id"] == id {
			return true
		}
	}
	return false
}

// TestRequestApprovedForOneAgentUntilItExpires is the scenario on
// the HTTP APIs: request, pending dedupe, approval for one agent for a
// short time, the agent compliant and the others told to uninstall, expiry
// through the worker's pass, audit and outbox rows for every step, and a
// blocked extension that cannot be approved.
func TestRequestApprovedForOneAgentUntilItExpires(t *testing.T) {
	e := newRequestsEnv(t)
	grp := e.admin.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("req")+`","settings":{"mode":"allowlist","enforcement":"enforce"}}`)
	groupID := grp["id"].(string)
	hook := e.admin.must(201, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/`+uniqueName("h")+`",`+
		`"event_types":["extension_request.created","extension_request.approved","extension_request.denied","extension_request.expired"]}`)
	gid, _ := domain.ParseID(groupID)
	key := e.key(gid)
	mine, other := e.enroll(key, uniqueName("m1")), e.enroll(key, uniqueName("m2"))
	base := e.etagOf(key, mine)

	// The agent asks; asking again while pending answers the same request.
	if a := e.ask(key, mine, `{"extension_id":"not an id","reason":"x"}`); a.status != 400 {
		t.Fatalf("malformed id: %d %s", a.status, a.body)
	}
	first := e.ask(key, mine, `{"extension_id":"Dev.Tool","reason":"the build needs it"}`)
	if first.status != 201 {
		t.Fatalf("request: %d %s", first.status, first.body)
	}
	reqID := first.json(t)["id"].(string)
	if again := e.ask(key, mine, `{"extension_id":"dev.tool","reason":"asking again"}`); again.status != 200 || again.json(t)["id"] != reqID {
		t.Fatalf("pending dedupe: %d %s", again.status, again.body)
	}
	list := e.admin.must(200, "GET", "/api/v1/requests?status=pending&group_id="+groupID+"&extension_id=dev.tool", "")
	items := list["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["machine_id"] == "" || items[0].(map[string]any)["reason"] != "the build needs it" {
		t.Fatalf("queue: %v", list)
	}
	for _, r := range []user.Role{user.RoleViewer, user.RoleAuditor} {
		if a := e.admin.as(r, "POST", "/api/v1/requests/"+reqID+"/approve", `{"scope":"agent"}`); a.status != 403 {
			t.Fatalf("%s approved: %d", r, a.status)
		}
	}

	// Approved for this agent for a short time.
	expires := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	ok := e.admin.call("POST", "/api/v1/requests/"+reqID+"/approve", e.admin.tokens[user.RoleEditor],
		`{"scope":"agent","expires_at":"`+expires+`","note":"for this sprint"}`)
	if ok.status != 200 || ok.json(t)["status"] != "approved" {
		t.Fatalf("approve: %d %s", ok.status, ok.body)
	}
	if a := e.admin.must(409, "POST", "/api/v1/requests/"+reqID+"/deny", `{"note":"too late"}`); a == nil {
		t.Fatal("answering twice")
	}
	excepted := e.waitETag(key, mine, base, true)
	if e.etagOf(key, other) != base {
		t.Fatal("another agent's policy changed")
	}
	if v := e.verdict(key, mine, "dev.tool"); v["compliant"] != true {
		t.Fatalf("excepted agent: %v", v)
	}
	if v := e.verdict(key, other, "dev.tool"); v["compliant"] != false || !uninstalls(v, "dev.tool") {
		t.Fatalf("other agent not told to uninstall: %v", v)
	}
	pol := e.call("GET", "/api/v1/agent/policy", key, mine, nil)
	if pol.status != 200 || !strings.Contains(string(pol.body), `"dev.tool"`) || pol.header.Get("ETag") != excepted {
		t.Fatalf("policy: %d %s", pol.status, pol.body)
	}

	// Heartbeats and 304s of agents with and without exceptions read no SQL.
	e.settle(key, mine, other)
	before := queries.n.Load()
	for range 20 {
		e.heartbeat(key, mine)
		e.heartbeat(key, other)
		if a := e.call("GET", "/api/v1/agent/policy", key, mine, nil, "If-None-Match", excepted); a.status != 304 {
			t.Fatalf("304: %d", a.status)
		}
	}
	if n := queries.n.Load() - before; n != 0 {
		t.Fatalf("%d queries on the hot path", n)
	}

	// The agent lists its requests with the answer.
	mineList := e.call("GET", "/api/v1/agent/requests", key, mine, nil)
	if mineList.status != 200 || !strings.Contains(string(mineList.body), `"for this sprint"`) {
		t.Fatalf("agent list: %d %s", mineList.status, mineList.body)
	}

	// Expiry: the worker's pass ends it; the agent is told to uninstall.
	expiresAt, _ := time.Parse(time.RFC3339Nano, expires)
	time.Sleep(time.Until(expiresAt))
	ended, err := e.expire.Execute(context.Background())
	if err != nil || len(ended) != 1 || ended[0].RequestID.String() != reqID {
		t.Fatalf("expire: %v %+v", err, ended)
	}
	e.waitETag(key, mine, base, false)
	if v := e.verdict(key, mine, "dev.tool"); v["compliant"] != false || !uninstalls(v, "dev.tool") {
		t.Fatalf("after expiry: %v", v)
	}
	if got := e.admin.must(200, "GET", "/api/v1/requests?status=expired&group_id="+groupID, "")["items"].([]any); len(got) != 1 {
		t.Fatalf("expired list: %v", got)
	}
	for _, ev := range []string{"extension_request.created", "extension_request.approved", "extension_request.expired"} {
		if n := e.countRows(`SELECT count(*) FROM audit_log a JOIN webhook_deliveries d ON d.audit_id = a.id
WHERE a.event_type = ? AND a.target_id = ? AND d.webhook_id = ?`, ev, reqID, hook["id"]); n != 1 {
			t.Errorf("%s: %d audit rows queued for the webhook", ev, n)
		}
	}

	// Blocks win: a blocked extension's request cannot be approved, and
	// stays pending.
	pub := uniqueName("evil")
	e.admin.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"`+pub+`","reason":"malware"}`)
	blocked := e.ask(key, other, `{"extension_id":"`+pub+`.pack","reason":"I want it"}`)
	if blocked.status != 201 {
		t.Fatalf("request for a blocked extension: %d %s", blocked.status, blocked.body)
	}
	blockedID := blocked.json(t)["id"].(string)
	refused := e.admin.as(user.RoleAdmin, "POST", "/api/v1/requests/"+blockedID+"/approve", `{"scope":"group"}`)
	if refused.status != 409 || !strings.Contains(string(refused.body), "malware") {
		t.Fatalf("approving a blocked extension: %d %s", refused.status, refused.body)
	}
	if n := e.countRows(`SELECT count(*) FROM extension_requests WHERE id = ? AND status = 'pending'`, blockedID); n != 1 {
		t.Fatal("a refused approval changed the request")
	}
	denied := e.admin.must(200, "POST", "/api/v1/requests/"+blockedID+"/deny", `{"note":"blocked: malware"}`)
	if denied["status"] != "denied" || e.countRows(`SELECT count(*) FROM audit_log a JOIN webhook_deliveries d ON d.audit_id = a.id
WHERE a.event_type = 'extension_request.denied' AND a.target_id = ? AND d.webhook_id = ?`, blockedID, hook["id"]) != 1 {
		t.Fatalf("deny not audited or not queued for the webhook: %v", denied)
	}
}

// TestRequestApprovedForTheGroup: a group approval assigns the extension
// (creating its catalog entry) until it expires; the pass removes the
// assignment and every agent of the group is told to uninstall again.
func TestRequestApprovedForTheGroup(t *testing.T) {
	e := newRequestsEnv(t)
	grp := e.admin.must(201, "POST", "/api/v1/groups", `{"name":"`+uniqueName("reqg")+`","settings":{"mode":"allowlist","enforcement":"enforce"}}`)
	gid, _ := domain.ParseID(grp["id"].(string))
	key := e.key(gid)
	one, two := e.enroll(key, uniqueName("g1")), e.enroll(key, uniqueName("g2"))
	base := e.etagOf(key, one)
	ext := uniqueName("team") + ".linter"
	reqID := e.ask(key, one, `{"extension_id":"`+ext+`","reason":"the team lints with it"}`).json(t)["id"].(string)
	expires := time.Now().Add(2 * time.Second).UTC()
	e.admin.must(200, "POST", "/api/v1/requests/"+reqID+"/approve", `{"scope":"group","expires_at":"`+expires.Format(time.RFC3339Nano)+`"}`)
	e.waitETag(key, two, base, true)
	if v := e.verdict(key, two, ext); v["compliant"] != true {
		t.Fatalf("group approval: %v", v)
	}
	if n := e.countRows(`SELECT count(*) FROM group_extensions ge JOIN extensions x ON x.id = ge.extension_id
WHERE ge.group_id = ? AND x.extension_id = ? AND ge.request_id = ? AND ge.expires_at IS NOT NULL`, gid.String(), ext, reqID); n != 1 {
		t.Fatalf("time-limited assignment rows: %d", n)
	}
	// Admins see that the assignment ends, and when.
	assigned := e.admin.must(200, "GET", "/api/v1/groups/"+gid.String()+"/extensions", "")["items"].([]any)
	if len(assigned) != 1 || assigned[0].(map[string]any)["expires_at"] == nil {
		t.Fatalf("the assignment does not show its expiry: %v", assigned)
	}
	if at, _ := time.Parse(time.RFC3339Nano, assigned[0].(map[string]any)["expires_at"].(string)); !at.Equal(expires.Truncate(time.Microsecond)) {
		t.Fatalf("expires_at %v, want %v", at, expires)
	}
	time.Sleep(time.Until(expires))
	ended, err := e.expire.Execute(context.Background())
	if err != nil || len(ended) != 1 || ended[0].Scope != "group" {
		t.Fatalf("expire: %v %+v", err, ended)
	}
	e.waitETag(key, one, base, false)
	if v := e.verdict(key, one, ext); v["compliant"] != false || !uninstalls(v, ext) {
		t.Fatalf("after expiry: %v", v)
	}
	// The pass is idempotent: a second run (another worker, a restart) ends nothing.
	if again, err := e.expire.Execute(context.Background()); err != nil || len(again) != 0 {
		t.Fatalf("second pass: %v %+v", err, again)
	}
}

// TestRequestLimitPerAgent: beyond 20 new requests a day an agent gets 429
// with Retry-After; asking again for a pending one still answers it.
func TestRequestLimitPerAgent(t *testing.T) {
	e := newRequestsEnv(t)
	gid := e.group(`{"mode":"allowlist"}`)
	key := e.key(gid)
	me := e.enroll(key, uniqueName("lim"))
	first := e.ask(key, me, `{"extension_id":"a.first","reason":"r"}`)
	if first.status != 201 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	e.exec(`INSERT INTO extension_requests (id, agent_id, group_id, extension_id, reason, status, created_at)
SELECT gen_random_uuid(), ?, ?, 'a.n' || i, 'r', 'denied', now() - interval '1 hour' FROM generate_series(1, 19) AS i`, me, gid.String())
	over := e.ask(key, me, `{"extension_id":"a.second","reason":"r"}`)
	if over.status != 429 || over.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v %s", over.status, over.header, over.body)
	}
	// The oldest counted request is an hour old: it leaves the window in 23 h.
	if ra, _ := strconv.Atoi(over.header.Get("Retry-After")); ra < 82700 || ra > 82900 {
		t.Fatalf("Retry-After %d", ra)
	}
	if again := e.ask(key, me, `{"extension_id":"a.first","reason":"r"}`); again.status != 200 {
		t.Fatalf("the pending one over the limit: %d %s", again.status, again.body)
	}
	if a := e.call("GET", "/api/v1/agent/requests?cursor=garbage", key, me, nil); a.status != 400 {
		t.Fatalf("a cursor the list did not hand out: %d %s", a.status, a.body)
	}
	if a := e.call("GET", "/api/v1/agent/requests", key, me, nil); a.status != 200 || strings.Count(string(a.body), `"extension_id"`) != 20 {
		t.Fatalf("the agent's list: %d %s", a.status, a.body)
	}
}

// TestRequestExceptionLosesToALaterBlock: blocks win after the approval
// too. A block added once the agent's exception is live takes the
// extension out of its policy (verdict: uninstall), with no request
// answered again; an approval with an expiry in the past or absurdly far
// is a field error that leaves the request pending; and an agent lists
// only its own requests.
func TestRequestExceptionLosesToALaterBlock(t *testing.T) {
	e := newRequestsEnv(t)
	gid := e.group(`{"mode":"allowlist","enforcement":"enforce"}`)
	key := e.key(gid)
	mine, other := e.enroll(key, uniqueName("b1")), e.enroll(key, uniqueName("b2"))
	pub := uniqueName("later")
	ext := pub + ".tool"
	base := e.etagOf(key, mine)
	reqID := e.ask(key, mine, `{"extension_id":"`+ext+`","reason":"the build needs it"}`).json(t)["id"].(string)
	for _, at := range []string{time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "9999-12-31T00:00:00Z"} {
		bad := e.admin.as(user.RoleEditor, "POST", "/api/v1/requests/"+reqID+"/approve", `{"scope":"agent","expires_at":"`+at+`"}`)
		if bad.status != 400 || !strings.Contains(string(bad.body), `"expires_at"`) {
			t.Fatalf("expires_at %s: %d %s", at, bad.status, bad.body)
		}
	}
	if n := e.countRows(`SELECT count(*) FROM extension_requests WHERE id = ? AND status = 'pending'`, reqID); n != 1 {
		t.Fatal("a refused approval changed the request")
	}
	if a := e.call("GET", "/api/v1/agent/requests", key, other, nil); a.status != 200 || strings.Contains(string(a.body), ext) {
		t.Fatalf("another agent sees this agent's request: %d %s", a.status, a.body)
	}
	e.admin.must(200, "POST", "/api/v1/requests/"+reqID+"/approve", `{"scope":"agent"}`)
	excepted := e.waitETag(key, mine, base, true)
	if v := e.verdict(key, mine, ext); v["compliant"] != true {
		t.Fatalf("excepted agent: %v", v)
	}
	e.admin.must(201, "POST", "/api/v1/blocklist", `{"pattern_type":"publisher","pattern":"`+pub+`","reason":"found malicious"}`)
	e.waitETag(key, mine, excepted, true)
	if v := e.verdict(key, mine, ext); v["compliant"] != false || !uninstalls(v, ext) {
		t.Fatalf("an exception outlived the block: %v", v)
	}
	pol := e.call("GET", "/api/v1/agent/policy", key, mine, nil)
	if pol.status != 200 || strings.Contains(string(pol.body), ext) {
		t.Fatalf("policy after the block: %d %s", pol.status, pol.body)
	}
}
