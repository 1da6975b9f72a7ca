package main

import (
	"log/slog"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/config"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/application"
)

// agentRoutes is the agent API module; agentRunners its background work
// (heartbeat flushing, cache invalidation). Named types keep wire's graph
// unambiguous.
type (
	agentRoutes  httpModule
	agentRunners []Runner
)

// agentSet is the agent API's adapters: the Redis-backed caches in front of
// PostgreSQL, the rate limiter, and the buffers that batch its writes. Each
// has background work (agentRunners) and most a final flush on shutdown.
var agentSet = wire.NewSet(
	redis.NewBus,
	redis.NewRateLimiter,
	provideAPIKeyUsage,
	provideAPIKeyCache,
	provideAgentCache,
	providePolicyCache,
	provideExceptionOverlay,
	provideHeartbeatBuffer,
	provideReportBatcher,
	provideAgentRunners,
)

// provideAPIKeyUsage batches last_used_at; the cleanup writes the last
// batch after the HTTP server has drained.
func provideAPIKeyUsage(db *bun.DB, log *slog.Logger, cfg config.Config) (*postgres.APIKeyUsageRecorder, func()) {
	u := postgres.NewAPIKeyUsageRecorder(db, log, cfg.HeartbeatFlushPeriod)
	return u, u.Close
}

func provideAPIKeyCache(keys *postgres.APIKeyRepository, bus *redis.Bus) *redis.APIKeyCache {
	return redis.NewAPIKeyCache(keys, bus)
}

func provideAgentCache(agents *postgres.AgentRepository, bus *redis.Bus) *redis.AgentCache {
	return redis.NewAgentCache(agents, bus)
}

func providePolicyCache(inputs *postgres.PolicyInputs, bus *redis.Bus) *redis.PolicyCache {
	return redis.NewPolicyCache(inputs, bus)
}

func provideExceptionOverlay(exceptions *postgres.ExceptionRepository, bus *redis.Bus) *redis.ExceptionOverlay {
	return redis.NewExceptionOverlay(exceptions, bus)
}

// provideHeartbeatBuffer coalesces heartbeats, flushed every
// EXTGUARD_HEARTBEAT_FLUSH_INTERVAL; the cleanup is the final flush.
func provideHeartbeatBuffer(store *postgres.HeartbeatStore, audit *postgres.AuditLog,
	log *slog.Logger, cfg config.Config) (*application.HeartbeatBuffer, func()) {
	b := application.NewHeartbeatBuffer(store, audit, log, cfg.HeartbeatFlushPeriod)
	return b, b.Close
}

// provideReportBatcher is the reports' group commit; the cleanup commits
// what is queued after the HTTP server has drained.
func provideReportBatcher(store *postgres.ReportStore, log *slog.Logger) (*application.ReportBatcher, func()) {
	b := application.NewReportBatcher(store, log, application.DefaultReportBatchConfig())
	return b, b.Close
}

func provideAgentRoutes(uc *application.Application) agentRoutes { return httpapi.NewAgentAPI(uc) }

func provideAgentRunners(bus *redis.Bus, limiter *redis.RateLimiter, heartbeats *application.HeartbeatBuffer,
	usage *postgres.APIKeyUsageRecorder, keys *redis.APIKeyCache) agentRunners {
	return agentRunners{bus, limiter, heartbeats, usage, keys}
}
