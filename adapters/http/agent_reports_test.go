package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
)

func TestReportIsStoredAndAnsweredWithTheVerdict(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	enforce := e.group(`{"mode":"blocklist","enforcement":"enforce"}`)
	auditOnly := e.group(`{"mode":"blocklist","enforcement":"audit"}`)
	e.exec(`INSERT INTO extensions (extension_id, name, publisher, pinned_version, sha256_checksum, marketplace_url, is_blocked, block_reason)
		VALUES ('evilcorp.miner', 'Miner', 'evilcorp', NULL, NULL, NULL, true, 'cryptominer')`)
	e.policies.AllGroupsChanged(context.Background())
	for _, tc := range []struct {
		group       string
		wantActions int
	}{{enforce.String(), 1}, {auditOnly.String(), 0}} {
		g := enforce
		if tc.group == auditOnly.String() {
			g = auditOnly
		}
		key := e.key(g)
		id := e.enroll(key, "m-verdict-"+tc.group)
		at := time.Now().Add(-time.Minute)
		a := e.call("POST", "/api/v1/agent/reports", key, id, reportBody(at,
			installed("evilcorp.miner", "1.0.0"), installed("ms-python.python", "2024.2.1"),
			`{"extension_id":"old.thing","installed":false,"version":"0.1.0","editor":"cursor"}`))
		if a.status != 200 {
			t.Fatalf("report: %d %s", a.status, a.body)
		}
		v := a.json(t)
		viol := v["violations"].([]any)
		if v["compliant"] != false || len(viol) != 1 || viol[0].(map[string]any)["kind"] != "blocked" ||
			!strings.Contains(viol[0].(map[string]any)["detail"].(string), "cryptominer") {
			t.Fatalf("verdict %s", a.body)
		}
		if acts := v["actions"].([]any); len(acts) != tc.wantActions {
			t.Fatalf("actions %v, want %d", acts, tc.wantActions)
		}
		// History records changes: the first report's two installed
		// extensions; old.thing was never installed, so its removal is none.
		if n := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ? AND client_ip IS NOT NULL AND user_hash <> ''`, id); n != 2 {
			t.Fatalf("%d report rows, want 2 (one per installed item, with client ip and user hash)", n)
		}
		if n := e.countRows(`SELECT count(*) FROM installations WHERE agent_id = ?`, id); n != 2 {
			t.Fatalf("%d installations, want the 2 installed", n)
		}
		if n := e.countRows(`SELECT count(*) FROM agent_verdicts WHERE agent_id = ? AND NOT compliant AND violations @> '[{"kind":"blocked"}]'`, id); n != 1 {
			t.Fatal("the verdict was not stored")
		}
	}
}

func TestHostileReportBodiesChangeNothing(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	g := e.group("")
	key := e.key(g)
	id := e.enroll(key, "m-hostile")
	now := time.Now()
	deep := `{"reported_at":"` + now.UTC().Format(time.RFC3339) + `","extensions":[],"x":` +
		strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	cases := map[string]string{
		"not json":               `{"reported_at": `,
		"an array":               `[1,2,3]`,
		"null":                   `null`,
		"empty":                  ``,
		"wrong type (string)":    `{"reported_at":"` + now.UTC().Format(time.RFC3339) + `","extensions":"all of them"}`,
		"wrong type (installed)": string(reportBody(now, `{"extension_id":"a.b","installed":"yes","editor":"vscode"}`)),
		"wrong type (date)":      `{"reported_at":12345,"extensions":[]}`,
		"bad date":               `{"reported_at":"yesterday","extensions":[]}`,
		"future":                 string(reportBody(now.Add(time.Hour), installed("a.b", "1.0.0"))),
		"ancient":                string(reportBody(now.AddDate(-3, 0, 0), installed("a.b", "1.0.0"))),
		"no date":                `{"extensions":[]}`,
		"invalid id":             string(reportBody(now, installed("../../etc/passwd", "1.0.0"))),
		"control characters":     string(reportBody(now, installed("a.b", "1.0\u0000"))),
		"deep nesting":           deep,
		"nested items":           string(reportBody(now, `[[[[{"extension_id":"a.b"}]]]]`)),
		"duplicate installed":    string(reportBody(now, installed("a.b", "1.0.0"), installed("a.b", "2.0.0"))),
		"bad digest":             string(reportBody(now, `{"extension_id":"a.b","installed":true,"version":"1","sha256":"zz","editor":"vscode"}`)),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			a := e.call("POST", "/api/v1/agent/reports", key, id, []byte(body))
			if a.status != 400 {
				t.Fatalf("%d, want 400 (%s)", a.status, a.body)
			}
			if a.header.Get("Content-Type") != "application/problem+json" || strings.Contains(string(a.body), "Go struct") {
				t.Fatalf("problem %s", a.body)
			}
		})
	}
	for _, body := range []string{`{"machine_id": 7}`, `{"machine_id":"m","user_hash":"not a hash","platform":"x y","agent_version":""}`, `[]`} {
		if a := e.call("POST", "/api/v1/agent/enroll", key, "", []byte(body)); a.status != 400 {
			t.Fatalf("enroll %s: %d", body, a.status)
		}
	}
	if n := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ?`, id); n != 0 {
		t.Fatalf("hostile bodies stored %d rows", n)
	}
	if n := e.countRows(`SELECT count(*) FROM agents WHERE machine_id = 'm'`); n != 0 {
		t.Fatal("a bad enrollment stored an agent")
	}
}

func TestConcurrentReportsOfOneAgentKeepTheNewestInventory(t *testing.T) {
	e := newAgentEnv(t, envOptions{})
	key := e.key(e.group(""))
	id := e.enroll(key, "m-concurrent")
	t0 := time.Now().Add(-10 * time.Minute)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, body := range [][]byte{
		reportBody(t0, installed("a.old", "1.0.0")),
		reportBody(t0.Add(time.Minute), installed("a.new", "2.0.0")),
	} {
		wg.Add(1)
		go func() { defer wg.Done(); statuses[i] = e.call("POST", "/api/v1/agent/reports", key, id, body).status }()
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Fatalf("statuses %v", statuses)
	}
	if n := e.countRows(`SELECT count(*) FROM installations WHERE agent_id = ? AND extension_id = 'a.new'`, id); n != 1 ||
		e.countRows(`SELECT count(*) FROM installations WHERE agent_id = ?`, id) != 1 {
		var rows []struct {
			Ext string    `bun:"extension_id"`
			At  time.Time `bun:"reported_at"`
		}
		_ = e.db.NewRaw(`SELECT extension_id, reported_at FROM installations WHERE agent_id = ?`, id).Scan(context.Background(), &rows)
		t.Fatalf("the inventory is not the newest report's: %+v (t0 %v)", rows, t0)
	}
	// The history ends in the newest inventory whichever report committed
	// first: a.new installed once, and a.old either never recorded (the
	// older report came second and was superseded) or installed then removed.
	if n := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ? AND extension_id = 'a.new' AND installed`, id); n != 1 {
		t.Fatalf("history holds a.new %d times, want once", n)
	}
	old := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ? AND extension_id = 'a.old'`, id)
	removed := e.countRows(`SELECT count(*) FROM reports WHERE agent_id = ? AND extension_id = 'a.old' AND NOT installed`, id)
	if old != 0 && (old != 2 || removed != 1) {
		t.Fatalf("history holds a.old %d times (%d removals), want 0, or an install and its removal", old, removed)
	}
}

// slowStore holds every batch until released, so the queue can fill.
type slowStore struct {
	application.ReportStore
	release chan struct{}
}

func (s slowStore) StoreReports(ctx context.Context, b []application.StoredReport) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return errors.New("gave up")
	}
	return s.ReportStore.StoreReports(ctx, b)
}

func TestFullReportQueueAnswers429WithRetryAfter(t *testing.T) {
	release := make(chan struct{})
	e := newAgentEnv(t, envOptions{
		batch: &application.ReportBatchConfig{Queue: 1, MaxRows: 100, Committers: 1, Timeout: 10 * time.Second},
		store: func(s application.ReportStore) application.ReportStore { return slowStore{s, release} },
	})
	key := e.key(e.group(""))
	ids := []string{e.enroll(key, "m-q1"), e.enroll(key, "m-q2"), e.enroll(key, "m-q3")}
	var wg sync.WaitGroup
	statuses := make(chan int, 3)
	for i, id := range ids[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.call("POST", "/api/v1/agent/reports", key, id, reportBody(time.Now(), installed("a.b", "1.0."+string(rune('0'+i))))).status
		}()
		time.Sleep(100 * time.Millisecond) // the first is taken by the committer, the second fills the queue
	}
	a := e.call("POST", "/api/v1/agent/reports", key, ids[2], reportBody(time.Now(), installed("a.b", "1.0.0")))
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("with the queue full: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	close(release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Fatalf("a queued report got %d", s)
		}
	}
}
