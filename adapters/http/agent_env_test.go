package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// TestMain gives this package's tests (agent and admin) their own database.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// queryCounter counts every statement sent through bun, so tests can prove
// that a path is answered without SQL.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) { q.n.Add(1) }

var (
	hookOnce sync.Once
	queries  = &queryCounter{}
)

func testDB(t testing.TB) *bun.DB {
	db := pgtest.DB(t)
	hookOnce.Do(func() { db.AddQueryHook(queries) })
	return db
}

type envOptions struct {
	redisAddr string  // overrides the test Redis (e.g. a closed port or a proxy)
	db        *bun.DB // overrides the test database (e.g. one whose server goes away)
	limits    *application.AgentRateLimits
	batch     *application.ReportBatchConfig
	store     func(application.ReportStore) application.ReportStore
	// asServed runs the hot path as extguard serve does without a trace
	// exporter: the coarse clock, and no span unless a request carries a
	// traceparent (the tests' default records one per request).
	asServed bool
}

// agentEnv is the agent API on the real router, PostgreSQL and Redis.
type agentEnv struct {
	t          testing.TB
	app        *fiber.App
	db         *bun.DB
	bus        *redis.Bus
	limiter    *redis.RateLimiter
	heartbeats *application.HeartbeatBuffer
	policies   application.PolicyInvalidator
	agents     application.AgentCacheInvalidator
	createKey  application.CreateAPIKey
	revokeKey  application.RevokeAPIKey
	uc         *application.Application
}

func newAgentEnv(t testing.TB, o envOptions) *agentEnv {
	t.Helper()
	db := o.db
	if db == nil {
		db = testDB(t)
	}
	opts := redistest.Options(t)
	if o.redisAddr != "" {
		opts.Addr = o.redisAddr
		opts.DialTimeout, opts.MaxRetries = 200*time.Millisecond, -1
	}
	rdb := goredis.NewClient(opts)
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	bus := redis.NewBus(rdb, log)
	limiter := redis.NewRateLimiter(rdb, log)
	d := testDeps(db, rdb, bus, limiter, log)
	heartbeats := application.NewHeartbeatBuffer(postgres.NewHeartbeatStore(db), d.Audit, log, time.Hour)
	var store application.ReportStore = postgres.NewReportStore(db)
	if o.store != nil {
		store = o.store(store)
	}
	batchCfg := application.DefaultReportBatchConfig()
	if o.batch != nil {
		batchCfg = *o.batch
	}
	batcher := application.NewReportBatcher(store, log, batchCfg)
	if o.limits != nil {
		d.AgentLimits = *o.limits
	}
	serverCfg := httpapi.DefaultServerConfig()
	if o.asServed {
		d.Clocks.Coarse = application.CoarseClock{}
		serverCfg.SpansRecorded = false
	}
	d.Heartbeats, d.Reports = heartbeats, batcher
	uc, err := application.New(d)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.NewAgentAPI(uc)
	app := httpapi.NewApp(serverCfg, log, api)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = bus.Run(ctx) }()
	go func() { defer wg.Done(); _ = limiter.Run(ctx) }()
	t.Cleanup(func() {
		_ = app.Shutdown()
		batcher.Close()
		cancel()
		wg.Wait()
		_ = rdb.Close()
	})
	e := &agentEnv{t: t, app: app, db: db, bus: bus, limiter: limiter, heartbeats: heartbeats, policies: d.Invalidator,
		agents: d.AgentCache, createKey: uc.CreateAPIKey, revokeKey: uc.RevokeAPIKey, uc: uc}
	if o.redisAddr == "" {
		e.waitConnected(true)
	}
	return e
}

// listen serves the app on a real socket (for what app.Test cannot show,
// such as fasthttp's own body limit) and returns its base URL.
func (e *agentEnv) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	return "http://" + ln.Addr().String()
}

func (e *agentEnv) waitConnected(want bool) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.bus.Connected() != want {
		if time.Now().After(deadline) {
			e.t.Fatalf("bus connected = %v, want %v", e.bus.Connected(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// group creates a group with the given settings JSON ("" for defaults).
func (e *agentEnv) group(settings string) domain.ID {
	e.t.Helper()
	if settings == "" {
		settings = "{}"
	}
	id := domain.NewID()
	if _, err := e.db.NewRaw(`INSERT INTO groups (id, name, settings) VALUES (?, ?, ?::jsonb)`,
		id.String(), "g-"+id.String(), settings).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return id
}

var admin = audit.Actor{Type: audit.ActorSystem}

// key issues a key for group with scopes (default agent).
func (e *agentEnv) key(group domain.ID, scopes ...string) string {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"agent"}
	}
	_, secret, err := e.createKey.Execute(context.Background(), admin, user.RoleAdmin, group, "test key", scopes, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret.String()
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := gojson.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", a.status, a.body)
	}
	return m
}

// call sends one request through the real router.
func (e *agentEnv) call(method, path, key, agentID string, body []byte, headers ...string) answer {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if agentID != "" {
		req.Header.Set("X-Agent-ID", agentID)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(e.t, e.app, req, headers...)
}

func enrollBody(machine string) []byte {
	return []byte(`{"machine_id":"` + machine + `","user_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",` +
		`"display_name":"alice-laptop","platform":"linux-x64","agent_version":"1.0.0"}`)
}

// enroll enrolls machine with key and returns the agent id.
func (e *agentEnv) enroll(key, machine string) string {
	e.t.Helper()
	a := e.call("POST", "/api/v1/agent/enroll", key, "", enrollBody(machine))
	if a.status != 201 && a.status != 200 {
		e.t.Fatalf("enroll: %d %s", a.status, a.body)
	}
	return a.json(e.t)["agent_id"].(string)
}

func (e *agentEnv) heartbeat(key, agentID string) answer {
	return e.call("POST", "/api/v1/agent/heartbeat", key, agentID, nil)
}

// settle waits until the agents' heartbeats are answered from the caches
// alone. An invalidation this instance published (an enrollment, a test's
// own) drops the entry here at once and again when Redis echoes it back,
// which on a busy machine can come after the test has warmed the cache.
func (e *agentEnv) settle(key string, ids ...string) {
	e.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		before := queries.n.Load()
		for _, id := range ids {
			if a := e.heartbeat(key, id); a.status != 200 {
				e.t.Fatalf("heartbeat: %d %s", a.status, a.body)
			}
		}
		if queries.n.Load() == before {
			return
		}
	}
	e.t.Fatal("heartbeats still read PostgreSQL after 5 s")
}

func (e *agentEnv) countRows(query string, args ...any) int {
	e.t.Helper()
	return countRows(e.t, e.db, query, args...)
}

func (e *agentEnv) exec(query string, args ...any) {
	e.t.Helper()
	execSQL(e.t, e.db, query, args...)
}

func reportBody(at time.Time, items ...string) []byte {
	return []byte(`{"reported_at":"` + at.UTC().Format(time.RFC3339) + `","policy_etag":"","extensions":[` +
		strings.Join(items, ",") + `]}`)
}

func installed(id, version string) string {
	return `{"extension_id":"` + id + `","installed":true,"version":"` + version + `","editor":"vscode"}`
}
