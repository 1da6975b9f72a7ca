package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
)

// Runner is background work that runs until its context ends and then
// finishes or hands back what it holds (flushers, the queue server, relays).
type Runner interface {
	Run(ctx context.Context) error
}

// Server is the HTTP API plus the background work the API itself needs
// (heartbeat flushing, cache invalidation listeners).
type Server struct {
	App        *fiber.App
	Runners    []Runner
	FirstAdmin application.CreateFirstAdmin
	Gauges     serverGauges
	Readiness  serverReadiness
}

// Worker is the queue server, the scheduler and the outbox relay.
type Worker struct {
	Runners   workerRunners
	Gauges    workerGauges
	Readiness workerReadiness
}

// shutdownGrace bounds how long in-flight requests and tasks get on stop.
const shutdownGrace = 20 * time.Second

func runProcess(ctx context.Context, mode string, cfg config.Config, log *slog.Logger) error {
	tel, err := telemetry.Setup(ctx, serviceInfo(cfg, mode))
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	if mode == "all" {
		if err := migrateUp(ctx, cfg, log); err != nil {
			return err
		}
	}
	var runners []Runner
	var ready dependencies
	if mode == "serve" || mode == "all" {
		srv, cleanup, err := initServer(ctx, cfg, log, tel)
		if err != nil {
			return err
		}
		defer cleanup()
		if err := createFirstAdmin(ctx, cfg, log, srv.FirstAdmin); err != nil {
			return err
		}
		runners = append(runners, httpRunner{app: srv.App, addr: cfg.HTTPAddr, log: log})
		runners = append(runners, srv.Runners...)
		ready.server = srv.Readiness
	}
	if mode == "worker" || mode == "all" {
		w, cleanup, err := initWorker(ctx, cfg, log, tel)
		if err != nil {
			return err
		}
		defer cleanup()
		runners = append(runners, w.Runners...)
		ready.worker = w.Readiness
	}
	unobserve, err := telemetry.ObserveDependencies(log, dependencyGaugeTTL, ready.all())
	if err != nil {
		return err
	}
	defer unobserve()
	if cfg.MetricsAddr != "" {
		runners = append(runners, telemetry.MetricsListener{Addr: cfg.MetricsAddr, Metrics: tel.Metrics,
			Checks: ready.listener(), Log: log, Pprof: cfg.Pprof})
	}
	// When the stop was asked for, to say in one line how long it took.
	asked := make(chan time.Time, 1)
	defer context.AfterFunc(ctx, func() { asked <- time.Now() })()
	log.Info("extguard started", "command", mode, "version", version)
	if err := runAll(ctx, runners); err != nil {
		return err // main logs it, once
	}
	if ctx.Err() != nil {
		log.Info("extguard stopped", "command", mode, "shutdown", time.Since(<-asked).Round(time.Millisecond))
	}
	return nil
}

// dependencyGaugeTTL: extguard_dependency_up is at most this old.
const dependencyGaugeTTL = 5 * time.Second

// dependencies are the readiness checks of the parts this process runs.
type dependencies struct {
	server serverReadiness
	worker workerReadiness
}

// all is every dependency once, for the gauge (the worker's first: in
// "all", its Redis is required, which the gauge does not show anyway).
func (d dependencies) all() []telemetry.ReadinessCheck {
	seen := map[string]bool{}
	var all []telemetry.ReadinessCheck
	for _, c := range append(append([]telemetry.ReadinessCheck{}, d.worker...), d.server...) {
		if !seen[c.Name] {
			seen[c.Name] = true
			all = append(all, c)
		}
	}
	return all
}

// listener is what the metrics listener's /readyz asks: the worker's checks
// when this process runs the worker (the API serves its own /readyz).
func (d dependencies) listener() []telemetry.ReadinessCheck {
	if d.worker != nil {
		return d.worker
	}
	return d.server
}

// runAll runs every runner until the context ends or one fails; then all stop.
func runAll(ctx context.Context, runners []Runner) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range runners {
		g.Go(func() error { return r.Run(gctx) })
	}
	return g.Wait()
}

// migrateUp creates the database if needed and applies pending migrations.
func migrateUp(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	mg, cleanup, err := initMigrator(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	applied, err := mg.Up(ctx)
	if err == nil && len(applied) > 0 {
		log.Info("migrations applied", "count", len(applied), "names", applied)
	}
	return err
}

func createFirstAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, uc application.CreateFirstAdmin) error {
	if cfg.AdminEmail == "" {
		return nil
	}
	created, err := uc.Execute(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return errors.Join(errors.New("EXTGUARD_ADMIN_EMAIL / EXTGUARD_ADMIN_PASSWORD: cannot create the first admin"), err)
	}
	if created {
		log.Info("first admin created", "email", cfg.AdminEmail)
	}
	return nil
}

// httpRunner serves the app until the context ends, then drains in-flight
// requests within the grace period.
type httpRunner struct {
	app  *fiber.App
	addr string
	log  *slog.Logger
}

func (h httpRunner) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		return err
	}
	h.log.Info("http listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- h.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return h.app.ShutdownWithTimeout(shutdownGrace)
	}
}

// openMigrator is what initMigrator wires. It never creates the database:
// migrateUp does that first, so "migrate up" and "all" work on a fresh server
// while "migrate status" reports a missing database as missing.
func openMigrator(ctx context.Context, cfg config.Config) (*postgres.Migrator, func(), error) {
	db, cleanup, err := provideDB(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return postgres.NewMigrator(db), cleanup, nil
}
