package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/feedfetch"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/workers"
	"github.com/uptrace/bun"
)

// feedServer serves a feed over HTTPS from the test's own CA, answering
// 304 to the ETag it last served.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	etag     string
	requests atomic.Int32
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	fs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		fs.mu.Lock()
		body, etag := fs.body, fs.etag
		fs.mu.Unlock()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(body, etag string) {
	fs.mu.Lock()
	fs.body, fs.etag = body, etag
	fs.mu.Unlock()
}

// fetcherFor is the worker's periodic fetch on the package's database,
// trusting only the test server's CA, and allowed loopback (the two test
// hooks of the outbound client).
func fetcherFor(db *bun.DB, fs *feedServer, inv application.PolicyInvalidator) application.FetchThreatFeeds {
	pool := fs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	feeds := postgres.NewThreatFeedRepository(db)
	clock := application.SystemClock{}
	return application.FetchThreatFeeds{Feeds: feeds, Clock: clock,
		Fetcher: feedfetch.New(feedfetch.Config{AllowPrivate: true, RootCAs: pool}),
		Import: application.NewImportThreatFeed(application.Deps{Tx: postgres.NewTxRunner(db), Audit: postgres.NewAuditLog(db),
			ThreatFeeds: feeds, Exposure: postgres.NewExposureReader(db), Invalidator: inv,
			Clocks: application.Clocks{Precise: clock, Coarse: clock}})}
}

// The scenario end to end: a vscode-control feed listing evil.pack
// and the publisher badpub blocks both in every group, changes the
// heartbeat ETags, has an enforcing agent uninstall them, and pages the
// webhook with the exposure; a broken feed keeps its last good content; a
// suppression changes one group's ETag only; an entry that leaves the feed
// lifts its block; deleting the feed lifts the rest.
func TestThreatFeedBlocksEverywhereAndPagesTheExposure(t *testing.T) {
	db := testDB(t)
	ae := newAdminEnvOn(t, db)
	ge := newAgentEnv(t, envOptions{db: db})
	ctx := context.Background()

	enforce, watch := ge.group(`{"mode":"blocklist","enforcement":"enforce"}`), ge.group(`{"mode":"blocklist"}`)
	keyE, keyW := ge.key(enforce), ge.key(watch)
	agentE, agentW := ge.enroll(keyE, "m-feed-e"), ge.enroll(keyW, "m-feed-w")
	report := func(key, id string, items ...string) map[string]any {
		a := ge.call("POST", "/api/v1/agent/reports", key, id, reportBody(time.Now().Add(-time.Second), items...))
		if a.status != 200 {
			t.Fatalf("report: %d %s", a.status, a.body)
		}
		return a.json(t)
	}
	report(keyE, agentE, installed("evil.pack", "1.0.0"), installed("badpub.tool", "2.0.0"), installed("good.ext", "1.0.0"))
	report(keyW, agentW, installed("badpub.other", "0.1.0"))
	etag := func(key, id string) string { return ge.heartbeat(key, id).json(t)["policy_etag"].(string) }
	etagE, etagW := etag(keyE, agentE), etag(keyW, agentW)

	fs := newFeedServer(t)
	fs.serve(`{"malicious":["evil.pack","BadPub"],"deprecated":{"old.ext":true},"search":[]}`, `"v1"`)
	// The API's guard refuses loopback URLs; the test server lives there.
	name := uniqueName("VS Code")
	detail := "threat feed " + name + ": malicious"
	feed := ae.must(201, "POST", "/api/v1/threat-feeds",
		`{"name":"`+name+`","kind":"vscode-control","url":"https://feeds.example.com/marketplace.json","mode":"block"}`)
	feedID := feed["id"].(string)
	ae.exec(`UPDATE threat_feeds SET url = ? WHERE id = ?`, fs.URL+"/marketplace.json", feedID)
	if a := ae.as(user.RoleEditor, "POST", "/api/v1/threat-feeds", `{"name":"x","kind":"extguard","mode":"block"}`); a.status != 403 {
		t.Fatalf("an editor created a feed: %d", a.status)
	}
	received := make(chan []byte, 4)
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- b
	}))
	defer hookSrv.Close()
	hook := ae.must(201, "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/soc","event_types":["advisory.matched"]}`)
	ae.exec(`UPDATE webhooks SET url = ? WHERE id = ?`, hookSrv.URL, hook["id"])

	fetch := fetcherFor(db, fs, ge.policies)
	res, err := fetch.Execute(ctx)
	if err != nil || res.Fetched != 1 {
		t.Fatalf("fetch: %+v %v", res, err)
	}
	if etag(keyE, agentE) == etagE || etag(keyW, agentW) == etagW {
		t.Fatal("a group's heartbeat ETag did not change with the feed")
	}
	pol := ge.call("GET", "/api/v1/agent/policy", keyW, agentW, nil).json(t)
	var blocked []string
	for _, b := range pol["blocked"].([]any) {
		m := b.(map[string]any)
		blocked = append(blocked, m["pattern_type"].(string)+" "+m["pattern"].(string)+": "+m["reason"].(string))
	}
	for _, want := range []string{"exact evil.pack: " + detail, "publisher badpub: " + detail} {
		if !strings.Contains(strings.Join(blocked, "\n"), want) {
			t.Fatalf("policy blocked %v lacks %q", blocked, want)
		}
	}
	v := report(keyE, agentE, installed("evil.pack", "1.0.0"), installed("badpub.tool", "2.0.0"), installed("good.ext", "1.0.0"))
	var acts []string
	for _, a := range v["actions"].([]any) {
		m := a.(map[string]any)
		acts = append(acts, m["action"].(string)+" "+m["extension_id"].(string))
	}
	if strings.Join(acts, ",") != "uninstall badpub.tool,uninstall evil.pack" {
		t.Fatalf("actions %v (verdict %v)", acts, v)
	}
	if d := v["violations"].([]any)[1].(map[string]any)["detail"]; d != detail {
		t.Fatalf("detail %v", d)
	}
	st := ae.must(200, "GET", "/api/v1/threat-feeds/"+feedID, "")["status"].(map[string]any)
	if st["entry_count"] != float64(2) || st["last_success_at"] == nil || st["last_error"] != "" {
		t.Fatalf("status %v", st)
	}
	page := ae.as(user.RoleViewer, "GET", "/api/v1/threat-feeds/"+feedID+"/advisories?limit=1", "").json(t)
	first := page["items"].([]any)[0].(map[string]any)
	next := ae.as(user.RoleViewer, "GET", "/api/v1/threat-feeds/"+feedID+"/advisories?limit=1&cursor="+page["next_cursor"].(string), "").json(t)
	second := next["items"].([]any)[0].(map[string]any)
	if first["pattern"] != "evil.pack" || first["first_seen_at"] == nil || second["pattern"] != "badpub" || next["next_cursor"] != nil {
		t.Fatalf("advisories %v then %v", page, next)
	}

	// advisory.matched went through the outbox to the webhook, with counts.
	var deliveryID string
	if err := db.NewRaw(`SELECT d.id::text FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
		WHERE a.event_type = 'advisory.matched' AND a.target_id = ? AND d.webhook_id = ?`, feedID, hook["id"]).Scan(ctx, &deliveryID); err != nil {
		t.Fatal("no delivery of advisory.matched: ", err)
	}
	deliver := application.DeliverWebhook{Tx: postgres.NewTxRunner(db), Deliveries: postgres.NewDeliveries(db),
		Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{}, MaxAttempts: 3, Lease: 3 * time.Second,
		Sender: workers.WebhookSender{Sender: webhook.NewSender(outbound.NewClient(outbound.Policy{AllowPrivate: true}, outbound.Timeouts{}), "")}}
	if status, err := deliver.Execute(ctx, domain.MustParseID(deliveryID)); err != nil || status != application.DeliveryDelivered {
		t.Fatalf("delivery: %v %v", status, err)
	}
	var payload struct {
		Type    string `json:"type"`
		Details struct {
			Matched    int `json:"matched"`
			Advisories []struct {
				Pattern string `json:"pattern"`
				Agents  int    `json:"agents"`
				Groups  []struct {
					GroupID string `json:"group_id"`
					Agents  int    `json:"agents"`
				} `json:"groups"`
			} `json:"advisories"`
		} `json:"details"`
	}
	body := <-received
	if err := json.Unmarshal(body, &payload); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range payload.Details.Advisories {
		got[a.Pattern] = a.Agents
		for _, g := range a.Groups {
			got[a.Pattern+"@"+g.GroupID] = g.Agents
		}
	}
	// Counts are fleet-wide (other tests' agents may have the same ids); ours
	// are one agent per group.
	if payload.Details.Matched != 2 || got["evil.pack"] < 1 || got["evil.pack@"+enforce.String()] != 1 || got["badpub"] < 2 ||
		got["badpub@"+watch.String()] != 1 || got["badpub@"+enforce.String()] != 1 || got["evil.pack@"+watch.String()] != 0 {
		t.Fatalf("advisory.matched payload %s", body)
	}

	// A broken feed keeps its last good content, and says why.
	fs.serve(`{"malicious":["evil.pack", `, `"v2"`)
	ae.exec(`UPDATE threat_feeds SET last_success_at = now() - interval '1 day' WHERE id = ?`, feedID)
	etagE = etag(keyE, agentE)
	if res, err := fetch.Execute(ctx); err != nil || res.Failed != 1 {
		t.Fatalf("broken fetch: %+v %v", res, err)
	}
	st = ae.must(200, "GET", "/api/v1/threat-feeds/"+feedID, "")["status"].(map[string]any)
	if st["entry_count"] != float64(2) || st["last_error_at"] == nil || !strings.Contains(st["last_error"].(string), "parse") {
		t.Fatalf("status after a broken fetch %v", st)
	}
	if etag(keyE, agentE) != etagE {
		t.Fatal("a broken feed changed the policy")
	}
	// Not due again until its interval passes; then a 304 costs nothing.
	if res, _ := fetch.Execute(ctx); res != (application.FetchResult{}) {
		t.Fatalf("fetched before the interval: %+v", res)
	}
	fs.serve(`{"malicious":["evil.pack","BadPub"]}`, `"v1"`)
	ae.exec(`UPDATE threat_feeds SET last_success_at = now() - interval '1 day', last_error_at = NULL WHERE id = ?`, feedID)
	if res, err := fetch.Execute(ctx); err != nil || res.NotModified != 1 {
		t.Fatalf("conditional fetch: %+v %v", res, err)
	}

	// A suppression for one group changes that group's ETag only.
	etagE, etagW = etag(keyE, agentE), etag(keyW, agentW)
	sup := `{"group_id":"` + watch.String() + `","pattern_type":"exact","pattern":"evil.pack","reason":"lab machine, accepted"}`
	if a := ae.as(user.RoleViewer, "POST", "/api/v1/threat-feeds/"+feedID+"/suppressions", sup); a.status != 403 {
		t.Fatalf("a viewer suppressed: %d", a.status)
	}
	for _, reason := range []string{``, `,"reason":""`, `,"reason":"   "`} {
		noReason := `{"group_id":"` + watch.String() + `","pattern_type":"exact","pattern":"evil.pack"` + reason + `}`
		if a := ae.as(user.RoleAdmin, "POST", "/api/v1/threat-feeds/"+feedID+"/suppressions", noReason); a.status != 400 {
			t.Fatalf("a suppression without a reason: %d %s", a.status, a.body)
		}
	}
	ae.must(201, "POST", "/api/v1/threat-feeds/"+feedID+"/suppressions", sup)
	// The admin API's instance publishes the invalidation; the agent API's
	// hears it through Redis, a moment later.
	within(t, "the suppressing group's ETag changes", func() bool { return etag(keyW, agentW) != etagW })
	if etag(keyE, agentE) != etagE {
		t.Fatal("a suppression changed another group's ETag")
	}
	if n := ae.count(`SELECT count(*) FROM audit_log WHERE event_type = 'advisory.suppressed' AND group_id = ?`, watch.String()); n != 1 {
		t.Fatalf("%d advisory.suppressed rows", n)
	}

	// An entry that leaves the feed lifts its block (imported, as an
	// air-gapped site would).
	imp := ae.call("POST", "/api/v1/threat-feeds/"+feedID+"/import", ae.tokens[user.RoleAdmin], `{"malicious":["badpub"]}`)
	if imp.status != 200 || imp.json(t)["removed"] != float64(1) {
		t.Fatalf("import: %d %s", imp.status, imp.body)
	}
	if n := ae.count(`SELECT count(*) FROM audit_log WHERE event_type = 'advisory.lifted' AND target_id = ? AND details->>'lifted' = '1'`, feedID); n != 1 {
		t.Fatalf("%d advisory.lifted rows", n)
	}
	within(t, "evil.pack's block is lifted", func() bool {
		v = report(keyE, agentE, installed("evil.pack", "1.0.0"), installed("badpub.tool", "2.0.0"))
		acts := v["actions"].([]any)
		return len(acts) == 1 && acts[0].(map[string]any)["extension_id"] == "badpub.tool"
	})
	bad := ae.call("POST", "/api/v1/threat-feeds/"+feedID+"/import", ae.tokens[user.RoleAdmin], `{"malicious":["ok.one","not an id"]}`)
	if bad.status != 400 || ae.must(200, "GET", "/api/v1/threat-feeds/"+feedID, "")["status"].(map[string]any)["entry_count"] != float64(1) {
		t.Fatalf("a bad import: %d %s", bad.status, bad.body)
	}

	// Deleting the feed lifts what is left.
	ae.must(204, "DELETE", "/api/v1/threat-feeds/"+feedID, "")
	within(t, "deleting the feed lifts its blocks", func() bool {
		return report(keyE, agentE, installed("badpub.tool", "2.0.0"))["compliant"] == true
	})
}

// within polls cond until it holds, failing t after 5 s.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
	}
}
