package workers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/extguard/extguard/adapters/contentdigest"
	"github.com/extguard/extguard/adapters/marketplace"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// harness is a worker wired like production (PostgreSQL, asynq on Redis,
// the real adapters) with short delays: retries after 50 ms instead of hours.
type harness struct {
	t        *testing.T
	db       *bun.DB
	redis    *goredis.Options // where the queue connects (a proxy in outage tests)
	queue    *Queue
	uc       UseCases
	relay    application.RelayOutbox
	policies *recordingInvalidator
	log      *slog.Logger
}

type harnessConfig struct {
	redis        *goredis.Options
	allowPrivate bool // for the webhook sender
	maxAttempts  int
	fetcher      marketplace.FetcherConfig
	limits       contentdigest.Limits
}

func newHarness(t *testing.T, cfg harnessConfig) *harness {
	t.Helper()
	db := pgtest.DB(t)
	if cfg.redis == nil {
		cfg.redis = redistest.Options(t)
		flush(t) // each test starts with an empty queue
	}
	rdb := goredis.NewClient(cfg.redis)
	t.Cleanup(func() { _ = rdb.Close() })
	if cfg.maxAttempts == 0 {
		cfg.maxAttempts = 5
	}
	if cfg.fetcher.AllowedHosts == nil {
		cfg.fetcher.AllowedHosts = []string{"127.0.0.1"}
		cfg.fetcher.AllowPrivate = true
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	tx, auditLog := postgres.NewTxRunner(db), postgres.NewAuditLog(db)
	catalog := postgres.NewRevalidationCatalog(db)
	queue := NewQueue(rdb)
	policies := &recordingInvalidator{}
	sender := webhook.NewSender(outbound.NewClient(outbound.Policy{AllowPrivate: cfg.allowPrivate},
		outbound.Timeouts{Total: 2 * time.Second}), "")
	clock := application.SystemClock{}
	h := &harness{t: t, db: db, redis: cfg.redis, queue: queue, policies: policies, log: log,
		uc: UseCases{
			DetectStale:  application.DetectStaleAgents{Tx: tx, Liveness: postgres.NewAgentLiveness(db), Clock: clock},
			SweepRevalid: application.SweepRevalidation{Catalog: catalog, Queue: queue},
			Revalidate: application.RevalidateCatalogEntry{Tx: tx, Catalog: catalog, Audit: auditLog, Policies: policies, Clock: clock,
				Packages:     PackageFetcher{Fetcher: marketplace.NewFetcher(cfg.fetcher), Limits: cfg.limits},
				Capabilities: postgres.NewCapabilityStore(db)},
			DeliverWebhook: application.DeliverWebhook{Tx: tx, Deliveries: postgres.NewDeliveries(db), Audit: auditLog, Clock: clock,
				Sender: WebhookSender{Sender: sender}, MaxAttempts: cfg.maxAttempts, Lease: 3 * time.Second,
				Backoff: func(int) time.Duration { return 50 * time.Millisecond }},
		},
		relay: application.RelayOutbox{Tx: tx, Outbox: postgres.NewOutbox(db), Queue: queue, Clock: clock},
	}
	return h
}

// start runs the runners until the test ends (or the returned stop is called).
func (h *harness) start(runners ...interface{ Run(context.Context) error }) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil {
				h.t.Errorf("runner: %v", err)
			}
		}()
	}
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	h.t.Cleanup(stop)
	return stop
}

func (h *harness) server() *Server { return h.serverWithGrace(2 * time.Second) }

func (h *harness) serverWithGrace(grace time.Duration) *Server {
	rdb := goredis.NewClient(h.redis)
	h.t.Cleanup(func() { _ = rdb.Close() })
	return NewServer(rdb, ServerConfig{PollInterval: 50 * time.Millisecond, ShutdownTimeout: grace},
		NewHandlers(h.uc, h.log), h.log)
}

func (h *harness) relayRunner() *Relay {
	return NewRelay(h.relay, RelayConfig{Interval: 50 * time.Millisecond, ReconcileInterval: 200 * time.Millisecond,
		OverdueAfter: time.Second}, h.log)
}

// appendEvent commits an audit event the way every use case does.
func (h *harness) appendEvent(t audit.EventType, details map[string]any) audit.Event {
	h.t.Helper()
	ev, err := audit.NewEvent(audit.EventParams{Type: t, Actor: audit.Actor{Type: audit.ActorUser, ID: domain.NewID(), ClientIP: "192.0.2.9"},
		TargetType: audit.TargetUser, TargetID: domain.NewID(), Details: details})
	if err != nil {
		h.t.Fatal(err)
	}
	log := postgres.NewAuditLog(h.db)
	if err := postgres.NewTxRunner(h.db).InTx(context.Background(), func(ctx context.Context) error { return log.Append(ctx, ev) }); err != nil {
		h.t.Fatal(err)
	}
	return ev
}

// webhookFor registers an enabled webhook for the event types, deleted when
// the test ends so later tests' events do not reach it.
func (h *harness) webhookFor(url, secret string, eventTypes ...string) domain.ID {
	h.t.Helper()
	id := domain.NewID()
	if _, err := h.db.NewRaw(`INSERT INTO webhooks (id, url, secret, event_types) VALUES (?, ?, ?, ?)`,
		id.String(), url, secret, pgdialect.Array(append([]string{}, eventTypes...))).Exec(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		_, _ = h.db.NewRaw(`UPDATE webhooks SET is_enabled = false, deleted_at = now() WHERE id = ?`, id.String()).Exec(context.Background())
	})
	return id
}

func (h *harness) scalar(dst any, query string, args ...any) {
	h.t.Helper()
	if err := h.db.NewRaw(query, args...).Scan(context.Background(), dst); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	h.scalar(&n, query, args...)
	return n
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flush empties this test binary's private Redis (redistest refuses any other).
func flush(t *testing.T) { t.Helper(); redistest.Flush(t) }

type recordingInvalidator struct {
	mu  sync.Mutex
	all int
}

func (r *recordingInvalidator) GroupChanged(context.Context, domain.ID) {}
func (r *recordingInvalidator) AllGroupsChanged(context.Context) {
	r.mu.Lock()
	r.all++
	r.mu.Unlock()
}
func (r *recordingInvalidator) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// receiver is a webhook endpoint that verifies signatures and answers with
// the statuses of script in turn (the last one repeats).
type receiver struct {
	t       *testing.T
	secrets []string // the receiver accepts any of these (rotation)
	*httptest.Server

	mu     sync.Mutex
	script []int
	got    []received
}

type received struct {
	id       string
	body     []byte
	verified bool
	reason   string
}

func newReceiver(t *testing.T, secrets []string, script ...int) *receiver {
	r := &receiver{t: t, secrets: secrets, script: script}
	r.Server = httptest.NewServer(r)
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ok, reason := r.verify(req.Header, body)
	r.mu.Lock()
	r.got = append(r.got, received{id: req.Header.Get("webhook-id"), body: body, verified: ok, reason: reason})
	status := r.script[min(len(r.got), len(r.script))-1]
	r.mu.Unlock()
	if !ok {
		http.Error(w, reason, http.StatusUnauthorized)
		return
	}
	w.WriteHeader(status)
}

// verify accepts the delivery when any of the receiver's secrets verifies
// it. webhook.Verify is itself checked against a receiver written from the
// Standard Webhooks specification alone (adapters/webhook's tests), so this
// harness need not carry a second copy of the spec.
func (r *receiver) verify(h http.Header, body []byte) (bool, string) {
	reason := "no secret"
	for _, secret := range r.secrets {
		err := webhook.Verify(secret, h, body, 5*time.Minute, time.Now())
		if err == nil {
			return true, ""
		}
		reason = err.Error()
	}
	return false, reason
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) ids() map[string]int {
	out := map[string]int{}
	for _, g := range r.requests() {
		if g.verified {
			out[g.id]++
		}
	}
	return out
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := webhook.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listenerCount counts connections accepted by a local TCP listener, to prove
// the SSRF guard refused before connecting.
func listenerCount(t *testing.T, network, addr string) (string, func() int) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func deliveriesOf(h *harness) *postgres.Deliveries { return postgres.NewDeliveries(h.db) }
func txOf(h *harness) *postgres.TxRunner           { return postgres.NewTxRunner(h.db) }
func outboxOf(h *harness) *postgres.Outbox         { return postgres.NewOutbox(h.db) }

func mustID(t *testing.T, s string) domain.ID {
	t.Helper()
	id, err := domain.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
