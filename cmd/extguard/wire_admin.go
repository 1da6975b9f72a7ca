package main

import (
	"log/slog"

	"github.com/google/wire"
	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/config"
	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/password"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/workers"
)

// adminRoutes is the admin API module.
type adminRoutes httpModule

// adminSet wires the admin API (issue 4). The API key use cases, the cache
// invalidators and the rate limiter come from agentSet.
var adminSet = wire.NewSet(provideAdminUseCases, provideAdminRoutes)

// provideAdminUseCases assembles the admin API from the PostgreSQL
// repositories, the agent API's caches (for invalidation and API key
// authentication) and the workers' queue (for on-demand revalidation; only
// enqueueing happens here, so the traced client is fine).
func provideAdminUseCases(cfg config.Config, db *bun.DB, tx *postgres.TxRunner, auditLog *postgres.AuditLog,
	users *postgres.UserRepository, hasher *password.Argon2id, limiter *redis.RateLimiter, inputs *postgres.PolicyInputs,
	agents *postgres.AgentRepository, keys *postgres.APIKeyRepository, keyCache *redis.APIKeyCache,
	auth *application.AuthenticateAPIKey, policies application.PolicyInvalidator,
	agentCache application.AgentCacheInvalidator, rdb *goredis.Client) (httpapi.AdminUseCases, error) {
	return httpapi.NewAdminUseCases(httpapi.AdminDeps{
		Tx: tx, Audit: auditLog, Clock: application.SystemClock{}, Hasher: hasher,
		Users: users, Sessions: postgres.NewSessionRepository(db), Limiter: limiter, SessionTTL: cfg.SessionTTL,
		Groups: postgres.NewGroupRepository(db), Catalog: postgres.NewCatalogRepository(db),
		Assignments: postgres.NewAssignmentRepository(db), Blocklist: postgres.NewBlocklistRepository(db),
		Webhooks: postgres.NewWebhookRepository(db), URLGuard: outbound.TargetGuard{AllowPrivate: cfg.OutboundAllowPrivate},
		Secrets: webhook.Secrets{}, Agents: agents, Fleet: postgres.NewFleetReader(db),
		Installations: postgres.NewInstallationReader(db), Compliance: postgres.NewComplianceReader(db),
		AuditReader: postgres.NewAuditReader(db), PolicyInputs: inputs, Policies: policies, AgentCache: agentCache,
		APIKeys: keys, APIKeyInvalidator: keyCache, AuthenticateAPIKey: auth,
		RevalidationCatalog: postgres.NewRevalidationCatalog(db), RevalidationQueue: workers.NewQueue(rdb),
		Outbox: postgres.NewOutbox(db), DeliveryLog: postgres.NewDeliveries(db),
	})
}

func provideAdminRoutes(uc httpapi.AdminUseCases, log *slog.Logger) adminRoutes {
	return httpapi.NewAdmin(uc, log)
}
