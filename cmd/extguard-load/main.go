// Command extguard-load is the agent API's load run (make bench). In one
// process it starts the real agent API (the production router, PostgreSQL,
// Redis) and a minimal fiber endpoint as the yardstick, drives both with
// the same generator, and prints the figures as ratios measured in the same
// run, so the machine's speed cancels out:
//
//   - heartbeats/s and policy 304s/s against the minimal endpoint's req/s
//     (closed loop at saturation), with the SQL statements the requests
//     caused (flushes of coalesced heartbeats are counted apart);
//   - 50-row reports at saturation, in rows/s, against raw 5,000-row COPYs
//     into the same table;
//   - reports at a fixed rate (open loop: requests start on schedule
//     whatever the answers do, latency measured from the scheduled start)
//     for -duration, a steady fleet's mix of repeats and -change-share
//     changes, then first reports of agents that never reported (every row
//     new), each with p50, p99, max and errors.
//
// It works in its own database (dropped and migrated at start) and never
// touches the one `make run` uses.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/password"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

type options struct {
	databaseURL  string
	redisURL     string
	phase        time.Duration
	duration     time.Duration
	rate         int
	conns        int
	reportConns  int
	agents       int
	rows         int
	cpuProfile   string
	profPhase    string
	rounds       int
	committers   int
	gather       time.Duration
	telemetry    bool
	onlySat      bool
	exceptShare  float64
	changeShare  float64
	firstReports int
	// databaseName is the run's own database (dropped and created again):
	// several people sharing one PostgreSQL give each run its own.
	databaseName string
	onlyReports  bool
	timeline     bool
	writeCosts   bool

	spansRecorded bool // what -telemetry's setup says, handed to the server as extguard serve does
}

func main() {
	var o options
	flag.StringVar(&o.databaseURL, "database-url", envOr("EXTGUARD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/extguard?sslmode=disable"),
		"PostgreSQL server; the run uses its own database extguard_load on it")
	flag.StringVar(&o.redisURL, "redis-url", envOr("EXTGUARD_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis")
	flag.DurationVar(&o.phase, "phase", 5*time.Second, "length of each saturation phase")
	flag.IntVar(&o.committers, "committers", application.DefaultReportBatchConfig().Committers, "report batcher committers (to try other settings)")
	flag.DurationVar(&o.gather, "gather", application.DefaultReportBatchConfig().GatherDelay, "report batcher gather delay (to try other settings)")
	flag.BoolVar(&o.telemetry, "telemetry", false, "install the production telemetry (tracer and meter SDKs, use-case spans) as `extguard serve` does")
	flag.BoolVar(&o.onlySat, "saturation-only", false, "stop after the heartbeat and policy phases (quick checks of those two ratios)")
	flag.BoolVar(&o.onlyReports, "reports-only", false, "skip the heartbeat and policy phases (quick checks of the reports' figures)")
	flag.BoolVar(&o.timeline, "timeline", false, "print the fixed-rate phase second by second (latency, and the report batches' commits)")
	flag.BoolVar(&o.writeCosts, "write-costs", false, "only measure what the reports table's foreign keys and secondary indexes cost a raw COPY (no requests)")
	flag.StringVar(&o.databaseName, "database", "extguard_load", "the run's own database (dropped and created again)")
	flag.Float64Var(&o.exceptShare, "exception-share", 0, "share of the agents (0-1) given an exception, as approved extension requests do; their heartbeats and 304s are measured with the rest")
	flag.IntVar(&o.rounds, "rounds", 8, "slices the minimal, heartbeat and policy phases are interleaved in")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of the fixed-rate report phase (the bar is 60s)")
	flag.IntVar(&o.rate, "rate", 1000, "reports per second in the fixed-rate phase")
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections in the heartbeat and policy saturation phases (and their yardstick)")
	flag.IntVar(&o.reportConns, "report-conns", 256, "concurrent connections in the reports' saturation phase: the report path's throughput still rises "+
		"from 64 to about 192 here, as the group commit's batches grow with the reports waiting (README)")
	flag.IntVar(&o.agents, "agents", 2000, "enrolled agents the requests rotate over")
	flag.Float64Var(&o.changeShare, "change-share", 0.1, "share of the fixed-rate phase's reports (0-1) that change one extension's version; the others repeat the agent's inventory")
	flag.IntVar(&o.firstReports, "first-reports", 5000, "agents enrolled apart that send their first report (every row new) at -rate after the fixed-rate phase; 0 skips it")
	flag.IntVar(&o.rows, "rows", 50, "extensions per report")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (server and generator) to this file")
	flag.StringVar(&o.profPhase, "profile-phase", "", "profile only this phase (saturation: minimal, heartbeat and policy interleaved; reports: with the raw COPYs; fixed); empty profiles the whole run. Samples are labelled server=agent|minimal|defaults and loop=<phase> (go tool pprof -tags)")
	flag.Parse()
	o.rounds = max(o.rounds, 1)
	o.changeShare = min(max(o.changeShare, 0), 1)
	if o.cpuProfile != "" && o.profPhase == "" {
		if err := startProfile(o.cpuProfile); err != nil {
			fmt.Fprintln(os.Stderr, "extguard-load:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if o.telemetry {
		tel, err := telemetry.Setup(context.Background(), telemetry.ServiceInfo{Name: "extguard-load", Version: "load"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "extguard-load:", err)
			os.Exit(1)
		}
		defer func() { _ = tel.Shutdown(context.Background()) }()
		o.spansRecorded = tel.SpansRecorded
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "extguard-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func startProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}

// phase runs one measured phase, under the CPU profiler when -profile-phase
// names it.
func (o options) profiled(name string, run func()) {
	if o.cpuProfile == "" || o.profPhase != name {
		run()
		return
	}
	if err := startProfile(o.cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "extguard-load: profile:", err)
		run()
		return
	}
	defer pprof.StopCPUProfile()
	run()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// flushCtx marks the background flushers' queries, so the SQL count tells
// what requests caused from what the coalescing flushes wrote.
type flushCtx struct{}

type sqlCounter struct{ requests, flushes atomic.Int64 }

func (s *sqlCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (s *sqlCounter) AfterQuery(ctx context.Context, _ *bun.QueryEvent) {
	if ctx.Value(flushCtx{}) != nil {
		s.flushes.Add(1)
		return
	}
	s.requests.Add(1)
}

type server struct {
	dsn        string
	db         *bun.DB
	sql        *sqlCounter
	copyStmts  atomic.Int64
	heartbeats *application.HeartbeatBuffer
	batcher    *application.ReportBatcher
	commits    *commitLog // with -timeline
	limiter    *redis.RateLimiter
	agentURL   string
	minimalURL string
	defaultURL string // the same route on fiber's default config, for reference
	createKey  application.CreateAPIKey
	exceptions *redis.ExceptionOverlay
	stop       func()
}

func run(ctx context.Context, o options) error {
	dsn, err := freshDatabase(ctx, o.databaseURL, o.databaseName)
	if err != nil {
		return err
	}
	// The server's background goroutines (report committers, flushes, the
	// limiter's sync) are labelled server=agent with its request workers;
	// serve relabels the yardsticks' own.
	var s *server
	pprof.Do(ctx, pprof.Labels("server", "agent"), func(ctx context.Context) { s, err = start(ctx, dsn, o) })
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Printf("extguard-load: %d agents, %d-row reports, %d connections (%d for reports), %s per saturation phase, GOMAXPROCS=%d\n\n",
		o.agents, o.rows, o.conns, o.reportConns, o.phase, gomaxprocs())
	f, err := seed(ctx, s, o)
	if err != nil {
		return err
	}
	n, err := grantExceptions(ctx, s, &f, o.exceptShare)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Printf("%d of %d agents carry an exception (their own ETag)\n\n", n, len(f.agents))
	}
	return measure(ctx, s, f, o)
}

// freshDatabase drops and recreates name on the server of serverURL and
// migrates it.
func freshDatabase(ctx context.Context, serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/postgres"
	admin, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	u.Path = "/" + name
	db, err := postgres.Open(ctx, u.String(), postgres.DefaultPool())
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := postgres.NewMigrator(db).Up(ctx); err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	return u.String(), nil
}

// start builds the agent API exactly as wire does (same constructors, the
// default flush interval and batch sizes) and the yardstick.
func start(ctx context.Context, dsn string, o options) (*server, error) {
	db, err := postgres.Open(ctx, dsn, postgres.DefaultPool())
	if err != nil {
		return nil, err
	}
	s := &server{dsn: dsn, db: db, sql: &sqlCounter{}}
	db.AddQueryHook(s.sql)
	ropts, err := goredis.ParseURL(o.redisURL)
	if err != nil {
		return nil, err
	}
	rdb := goredis.NewClient(ropts)
	// One access-log line per request is what a 100,000-agent deployment
	// turns off (EXTGUARD_LOG_LEVEL=warn); the run measures that setting.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tx, auditLog, clock := postgres.NewTxRunner(db), postgres.NewAuditLog(db), application.CoarseClock{}
	bus := redis.NewBus(rdb, log)
	s.limiter = redis.NewRateLimiter(rdb, log)
	keyRepo := postgres.NewAPIKeyRepository(db)
	keys := redis.NewAPIKeyCache(keyRepo, bus)
	agentRepo := postgres.NewAgentRepository(db)
	usage := postgres.NewAPIKeyUsageRecorder(db, log, 2*time.Second)
	s.heartbeats = application.NewHeartbeatBuffer(postgres.NewHeartbeatStore(db), auditLog, log, 2*time.Second)
	store := postgres.NewReportStore(db)
	store.CountStatements(func(n int) { s.copyStmts.Add(int64(n)) })
	batching := application.DefaultReportBatchConfig()
	batching.Committers = o.committers
	batching.GatherDelay = o.gather
	var batches application.ReportStore = store
	if o.timeline {
		s.commits = &commitLog{ReportStore: store}
		batches = s.commits
	}
	s.batcher = application.NewReportBatcher(batches, log, batching)
	// The production limits (60 requests per agent per minute) would stop a
	// load run after a minute's worth; the limiter still counts every
	// request, only the thresholds are raised. Raised so high, no subject
	// reaches the tenth of its limit from which its counts go to Redis: as
	// in a fleet whose agents stay within their limits.
	limits := application.AgentRateLimits{PerKey: 1 << 30, PerAgent: 1 << 30, Window: time.Minute}
	agents := redis.NewAgentCache(agentRepo, bus)
	s.exceptions = redis.NewExceptionOverlay(postgres.NewExceptionRepository(db), bus)
	// Only the agent API and key creation are exercised: the admin API's
	// ports stay nil, and logging in is never asked for (the hasher is
	// there because the login use case is built with its dummy hash).
	uc, err := application.New(application.Deps{
		Tx: tx, Audit: auditLog, Clocks: application.Clocks{Precise: clock, Coarse: clock}, Log: log,
		Hasher: password.NewArgon2id(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Agents: agentRepo, AgentLookup: agents, AgentCache: agents,
		Policies: redis.NewPolicyCache(postgres.NewPolicyInputs(db), bus),
		APIKeys:  keyRepo, APIKeyLookup: keys, APIKeyUsage: usage,
		AgentLimiter: s.limiter, AgentLimits: limits, Heartbeats: s.heartbeats, Reports: s.batcher,
		Exceptions: s.exceptions, ExceptionBus: s.exceptions,
	})
	if err != nil {
		return nil, err
	}
	api := httpapi.NewAgentAPI(uc)
	s.createKey = uc.CreateAPIKey

	sc := httpapi.DefaultServerConfig()
	sc.SpansRecorded = o.spansRecorded
	app := httpapi.NewApp(sc, log, api)
	// The yardstick is a trivial route on a server configured like ours
	// (the same read, write and idle timeouts, which cost fasthttp a
	// deadline per request): the ratio is then the price of the endpoint,
	// not of running a server safely.
	minimal := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: httpapi.MaxBodyBytes,
		ReadTimeout: sc.ReadTimeout, WriteTimeout: sc.WriteTimeout, IdleTimeout: sc.IdleTimeout})
	ping := func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"policy_etag": `"p-0123456789abcdef0123456789abcdef"`, "heartbeat_interval_s": 60})
	}
	minimal.Post("/ping", ping)
	defaults := fiber.New(fiber.Config{DisableStartupMessage: true})
	defaults.Post("/ping", ping)
	if s.agentURL, err = serve("agent", app); err != nil {
		return nil, err
	}
	if s.minimalURL, err = serve("minimal", minimal); err != nil {
		return nil, err
	}
	if s.defaultURL, err = serve("defaults", defaults); err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithValue(ctx, flushCtx{}, true))
	go func() { _ = bus.Run(bg) }()
	go func() { _ = s.limiter.Run(bg) }()
	go func() { _ = s.heartbeats.Run(bg) }()
	go func() { _ = usage.Run(bg) }()
	go func() { _ = keys.Run(bg) }()
	deadline := time.Now().Add(5 * time.Second)
	for !bus.Connected() {
		if time.Now().After(deadline) {
			cancel()
			return nil, fmt.Errorf("no Redis subscription at %s: the caches would be bypassed", o.redisURL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop = func() {
		_ = app.Shutdown()
		_ = minimal.Shutdown()
		_ = defaults.Shutdown()
		s.batcher.Close()
		cancel()
		s.heartbeats.Close()
		usage.Close()
		_ = rdb.Close()
		_ = db.Close()
	}
	return s, nil
}

// serve starts app on a free port. Its goroutines, and the request workers
// they start, carry the profiler label server=name, so a profile splits the
// CPU by server (go tool pprof -tagfocus server=agent).
func serve(name string, app *fiber.App) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go pprof.Do(context.Background(), pprof.Labels("server", name), func(context.Context) { _ = app.Listener(ln) })
	return ln.Addr().String(), nil
}

// fleet is what the seed created.
type fleet struct {
	key    string
	agents []string
	etag   string
	etags  []string // each agent's, f.etag unless it carries an exception
	fresh  []string // agents that have not reported yet (-first-reports)
}

func seed(ctx context.Context, s *server, o options) (fleet, error) {
	var groupID string
	if err := s.db.NewRaw(`INSERT INTO groups (name, settings) VALUES ('load', '{"mode":"blocklist","enforcement":"enforce"}') RETURNING id::text`).
		Scan(ctx, &groupID); err != nil {
		return fleet{}, err
	}
	if _, err := s.db.NewRaw(`INSERT INTO blocklist (pattern_type, pattern, reason) VALUES ('publisher', 'evil', 'load run')`).Exec(ctx); err != nil {
		return fleet{}, err
	}
	gid, err := parseID(groupID)
	if err != nil {
		return fleet{}, err
	}
	_, secret, err := s.createKey.Execute(ctx, audit.SystemActor(), user.RoleAdmin, gid, "load", []string{"agent"}, nil)
	if err != nil {
		return fleet{}, err
	}
	f := fleet{key: secret.String()}
	c := newClient(s.agentURL, 32)
	if f.agents, f.etag, err = enroll(c, f.key, 0, o.agents); err != nil {
		return fleet{}, err
	}
	if o.firstReports > 0 {
		f.fresh, _, err = enroll(c, f.key, o.agents, o.firstReports)
	}
	return f, err
}

// enroll enrolls n agents numbered from first on, from 32 connections,
// and answers their ids and the policy ETag they were given.
func enroll(c *client, key string, first, n int) ([]string, string, error) {
	ids := make([]string, n)
	var etag atomic.Value
	var failed atomic.Value
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && failed.Load() == nil; i = int(next.Add(1)) - 1 {
				m := first + i
				body := fmt.Sprintf(`{"machine_id":"load-%06d","user_hash":"%064x","display_name":"load %d","platform":"linux-x64","agent_version":"1.0.0"}`, m, m, m)
				status, resp, err := c.do("POST", "/api/v1/agent/enroll", key, "", "", []byte(body))
				if err != nil || status != 201 {
					failed.CompareAndSwap(nil, fmt.Errorf("enroll agent %d: %d %s %v", m, status, resp, err))
					return
				}
				ids[i] = jsonField(resp, "agent_id")
				etag.Store(jsonField(resp, "policy_etag"))
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, "", err
	}
	tag, _ := etag.Load().(string)
	return ids, tag, nil
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
