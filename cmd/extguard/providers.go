package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/config"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
)

// provideDB opens the pool; the cleanup closes it.
func provideDB(ctx context.Context, cfg config.Config) (*bun.DB, func(), error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.DefaultPool())
	if err != nil {
		return nil, nil, err
	}
	return db, func() { _ = db.Close() }, nil
}

// provideRedis builds the client without connecting: Redis is not on the
// critical path, so a process starts (and the APIs answer) while it is down.
func provideRedis(cfg config.Config) (*redis.Client, func(), error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("EXTGUARD_REDIS_URL: %w", err)
	}
	c := redis.NewClient(opts)
	// Command names only, never their arguments (cache keys, counters'
	// keys); health-check pings of idle loops are left out.
	if err := redisotel.InstrumentTracing(c, redisotel.WithDBStatement(false), redisotel.WithCommandFilter(func(cmd redis.Cmder) bool {
		return strings.EqualFold(cmd.Name(), "ping") || redisotel.DefaultCommandFilter(cmd)
	})); err != nil {
		return nil, nil, err
	}
	if err := redisotel.InstrumentMetrics(c); err != nil {
		return nil, nil, err
	}
	return c, func() { _ = c.Close() }, nil
}

// serverReadiness is what the API's /readyz reports: PostgreSQL and the
// migrations decide it; Redis is reported only, since the API answers
// without it (caches step aside, rate limits fail open) and a Redis restart
// must not take every API pod out of its Service.
type serverReadiness []telemetry.ReadinessCheck

func provideServerReadiness(db *bun.DB, rdb *redis.Client, mg *postgres.Migrator) serverReadiness {
	return serverReadiness{postgresReady(db), redisReady(rdb, true), migrationsReady(mg)}
}

// workerReadiness is what the worker's /readyz (EXTGUARD_METRICS_ADDR)
// reports: it needs all three, its tasks being in Redis. Nothing routes
// traffic to a worker, so an unready one is only shown (and holds a rollout).
type workerReadiness []telemetry.ReadinessCheck

func provideWorkerReadiness(db *bun.DB, rdb queueRedis) workerReadiness {
	return workerReadiness{postgresReady(db), redisReady(rdb.Client, false), migrationsReady(postgres.NewMigrator(db))}
}

func postgresReady(db *bun.DB) telemetry.ReadinessCheck {
	return telemetry.ReadinessCheck{Name: "postgres", Check: func(ctx context.Context) error { return postgres.Ping(ctx, db) }}
}

func redisReady(rdb *redis.Client, optional bool) telemetry.ReadinessCheck {
	return telemetry.ReadinessCheck{Name: "redis", Optional: optional,
		Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}
}

func migrationsReady(mg *postgres.Migrator) telemetry.ReadinessCheck {
	return telemetry.ReadinessCheck{Name: "migrations", Check: func(ctx context.Context) error {
		ok, err := mg.AtHead(ctx)
		if err == nil && !ok {
			err = fmt.Errorf("migrations are not at head")
		}
		return err
	}}
}

func provideHealth(tel *telemetry.Telemetry, checks serverReadiness) *httpapi.Health {
	return httpapi.NewHealth(tel.Metrics, checks...)
}

// httpModule is a route module; nil means the area is not mounted.
type httpModule = httpapi.Module

// provideModules lists the route modules the server mounts.
func provideModules(health *httpapi.Health, agent agentRoutes, admin adminRoutes, cons consoleRoutes) []httpapi.Module {
	mods := []httpapi.Module{health}
	for _, m := range []httpapi.Module{agent, admin, cons} {
		if m != nil {
			mods = append(mods, m)
		}
	}
	return mods
}

// provideReportStore is the report store, logging the reports it
// supersedes (rate-limited) besides counting them.
func provideReportStore(db *bun.DB, log *slog.Logger) *postgres.ReportStore {
	s := postgres.NewReportStore(db)
	s.LogSuperseded(log)
	return s
}

// provideServerRunners lists the background work the API process runs:
// the agent module's, and the history partitions of the months ahead,
// which `serve` without a worker would otherwise run out of.
func provideServerRunners(agent agentRunners, partitions *postgres.Partitions, log *slog.Logger) []Runner {
	ahead := partitionsAheadRunner{uc: application.KeepPartitionsAhead{Partitions: partitions, Clock: application.SystemClock{}}, log: log}
	return append([]Runner{ahead}, agent...)
}

// partitionsAheadRunner runs application.KeepPartitionsAhead.
type partitionsAheadRunner struct {
	uc  application.KeepPartitionsAhead
	log *slog.Logger
}

func (r partitionsAheadRunner) Run(ctx context.Context) error { return r.uc.Run(ctx, r.log) }

func provideApp(cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry, modules []httpapi.Module) *fiber.App {
	sc := httpapi.DefaultServerConfig()
	sc.TrustedProxies = cfg.TrustedProxies
	sc.SpansRecorded = tel.SpansRecorded
	return httpapi.NewApp(sc, log, modules...)
}
