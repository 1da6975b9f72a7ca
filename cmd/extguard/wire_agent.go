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

// agentSet wires the agent API (issue 3). It also provides what the admin
// API needs from it: the API key use cases (CreateAPIKey, ListAPIKeys,
// RevokeAPIKey, *AuthenticateAPIKey) and the cache invalidators
// (application.PolicyInvalidator, application.AgentCacheInvalidator).
var agentSet = wire.NewSet(
	postgres.NewAPIKeyRepository,
	postgres.NewAgentRepository,
	postgres.NewHeartbeatStore,
	postgres.NewReportStore,
	redis.NewBus,
	provideAPIKeyUsage,
	provideAPIKeyCache,
	provideAgentCache,
	providePolicyCache,
	redis.NewRateLimiter,
	provideHeartbeatBuffer,
	provideReportBatcher,
	provideAuthenticateAPIKey,
	provideCreateAPIKey,
	provideListAPIKeys,
	provideRevokeAPIKey,
	provideAgentAPI,
	provideAgentRoutes,
	provideAgentRunners,
	wire.Bind(new(application.PolicyInvalidator), new(*redis.PolicyCache)),
	wire.Bind(new(application.AgentCacheInvalidator), new(*redis.AgentCache)),
	wire.Bind(new(application.APIKeyInvalidator), new(*redis.APIKeyCache)),
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

// provideHeartbeatBuffer coalesces heartbeats, flushed every
// EXTGUARD_HEARTBEAT_FLUSH_INTERVAL; the cleanup is the final flush.
func provideHeartbeatBuffer(store *postgres.HeartbeatStore, tx *postgres.TxRunner, audit *postgres.AuditLog,
	log *slog.Logger, cfg config.Config) (*application.HeartbeatBuffer, func()) {
	b := application.NewHeartbeatBuffer(store, tx, audit, log, cfg.HeartbeatFlushPeriod)
	return b, b.Close
}

// provideReportBatcher is the reports' group commit; the cleanup commits
// what is queued after the HTTP server has drained.
func provideReportBatcher(store *postgres.ReportStore, log *slog.Logger) (*application.ReportBatcher, func()) {
	b := application.NewReportBatcher(store, log, application.DefaultReportBatchConfig())
	return b, b.Close
}

func provideAuthenticateAPIKey(keys *redis.APIKeyCache, usage *postgres.APIKeyUsageRecorder, tx *postgres.TxRunner,
	audit *postgres.AuditLog, log *slog.Logger) *application.AuthenticateAPIKey {
	return application.NewAuthenticateAPIKey(keys, usage, tx, audit, application.CoarseClock{}, log)
}

func provideCreateAPIKey(tx *postgres.TxRunner, keys *postgres.APIKeyRepository, audit *postgres.AuditLog) application.CreateAPIKey {
	return application.CreateAPIKey{Tx: tx, Keys: keys, Audit: audit, Clock: application.SystemClock{}}
}

func provideListAPIKeys(db *bun.DB, keys *postgres.APIKeyRepository) application.ListAPIKeys {
	return application.ListAPIKeys{Groups: postgres.NewGroupRepository(db), Keys: keys}
}

func provideRevokeAPIKey(tx *postgres.TxRunner, keys *postgres.APIKeyRepository, audit *postgres.AuditLog,
	inv application.APIKeyInvalidator) application.RevokeAPIKey {
	return application.RevokeAPIKey{Tx: tx, Keys: keys, Audit: audit, Clock: application.SystemClock{}, Invalidator: inv}
}

func provideAgentAPI(auth *application.AuthenticateAPIKey, agents *postgres.AgentRepository, agentCache *redis.AgentCache,
	policies *redis.PolicyCache, limiter *redis.RateLimiter, heartbeats *application.HeartbeatBuffer,
	batcher *application.ReportBatcher, tx *postgres.TxRunner, audit *postgres.AuditLog, log *slog.Logger) *httpapi.AgentAPI {
	return httpapi.NewAgentAPI(httpapi.AgentAPIDeps{Auth: auth, Agents: agents, AgentCache: agentCache,
		Policies: policies, Limiter: limiter, Limits: application.DefaultAgentRateLimits(), Heartbeats: heartbeats,
		Reports: batcher, Tx: tx, Audit: audit, Clock: application.CoarseClock{}, Log: log})
}

func provideAgentRoutes(api *httpapi.AgentAPI) agentRoutes { return api }

func provideAgentRunners(bus *redis.Bus, limiter *redis.RateLimiter, heartbeats *application.HeartbeatBuffer,
	usage *postgres.APIKeyUsageRecorder, keys *redis.APIKeyCache) agentRunners {
	return agentRunners{bus, limiter, heartbeats, usage, keys}
}
