package main

import (
	"github.com/google/wire"
	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/password"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/workers"
)

// appSet assembles application.Application on the adapters: each port of
// application.Deps is bound to the adapter that serves it here, and nowhere
// else.
var appSet = wire.NewSet(
	postgresSet, agentSet,
	application.New,
	wire.Struct(new(application.Deps), "*"),
	wire.FieldsOf(new(*application.Application), "CreateFirstAdmin"),
	application.SystemClocks,
	application.DefaultAgentRateLimits,
	application.DefaultRequestLimit,
	providePasswordHasher, provideSessionTTL, provideTargetGuard, provideRevalidationQueue,
	wire.InterfaceValue(new(application.WebhookSecrets), webhook.Secrets{}),

	wire.Bind(new(application.Transactor), new(*postgres.TxRunner)),
	wire.Bind(new(application.AuditLog), new(*postgres.AuditLog)),
	wire.Bind(new(application.PasswordHasher), new(*password.Argon2id)),
	wire.Bind(new(application.UserAccounts), new(*postgres.UserRepository)),
	wire.Bind(new(application.SessionRepository), new(*postgres.SessionRepository)),
	wire.Bind(new(application.GroupRepository), new(*postgres.GroupRepository)),
	wire.Bind(new(application.CatalogRepository), new(*postgres.CatalogRepository)),
	wire.Bind(new(application.AssignmentRepository), new(*postgres.AssignmentRepository)),
	wire.Bind(new(application.BlocklistRepository), new(*postgres.BlocklistRepository)),
	wire.Bind(new(application.WebhookRepository), new(*postgres.WebhookRepository)),
	wire.Bind(new(application.AgentRepository), new(*postgres.AgentRepository)),
	wire.Bind(new(application.FleetReader), new(*postgres.FleetReader)),
	wire.Bind(new(application.HistoryReader), new(*postgres.HistoryReader)),
	wire.Bind(new(application.InstallationReader), new(*postgres.InstallationReader)),
	wire.Bind(new(application.ComplianceReader), new(*postgres.ComplianceReader)),
	wire.Bind(new(application.ComplianceSeries), new(*postgres.ComplianceSeries)),
	wire.Bind(new(application.AuditReader), new(*postgres.AuditReader)),
	wire.Bind(new(application.PolicyInputs), new(*postgres.PolicyInputs)),
	wire.Bind(new(application.PolicyStore), new(*postgres.PolicyStore)),
	wire.Bind(new(application.VerdictInventory), new(*postgres.VerdictInventory)),
	wire.Bind(new(application.APIKeyRepository), new(*postgres.APIKeyRepository)),
	wire.Bind(new(application.APIKeyUsage), new(*postgres.APIKeyUsageRecorder)),
	wire.Bind(new(application.RevalidationCatalog), new(*postgres.RevalidationCatalog)),
	wire.Bind(new(application.Outbox), new(*postgres.Outbox)),
	wire.Bind(new(application.DeliveryLog), new(*postgres.Deliveries)),
	wire.Bind(new(application.RequestRepository), new(*postgres.RequestRepository)),
	wire.Bind(new(application.ExceptionRepository), new(*postgres.ExceptionRepository)),
	wire.Bind(new(application.AgentExceptions), new(*redis.ExceptionOverlay)),
	wire.Bind(new(application.ExceptionInvalidator), new(*redis.ExceptionOverlay)),
	wire.Bind(new(application.ThreatFeedRepository), new(*postgres.ThreatFeedRepository)),
	wire.Bind(new(application.ExposureReader), new(*postgres.ExposureReader)),
	wire.Bind(new(application.SBOMReader), new(*postgres.SBOMReader)),
	wire.Bind(new(application.CapabilityStore), new(*postgres.CapabilityStore)),

	wire.Bind(new(application.LoginLimiter), new(*redis.RateLimiter)),
	wire.Bind(new(application.RateLimiter), new(*redis.RateLimiter)),
	wire.Bind(new(application.AgentLookup), new(*redis.AgentCache)),
	wire.Bind(new(application.AgentCacheInvalidator), new(*redis.AgentCache)),
	wire.Bind(new(application.CompiledPolicies), new(*redis.PolicyCache)),
	wire.Bind(new(application.PolicyInvalidator), new(*redis.PolicyCache)),
	wire.Bind(new(application.APIKeyLookup), new(*redis.APIKeyCache)),
	wire.Bind(new(application.APIKeyInvalidator), new(*redis.APIKeyCache)),
)

func providePasswordHasher() *password.Argon2id {
	return password.NewArgon2id(password.DefaultParams())
}

func provideSessionTTL(cfg config.Config) application.SessionTTL {
	return application.SessionTTL(cfg.SessionTTL)
}

func provideTargetGuard(cfg config.Config) application.TargetGuard {
	return outbound.TargetGuard{AllowPrivate: cfg.OutboundAllowPrivate}
}

// provideRevalidationQueue is the API's side of the workers' queue: it only
// enqueues, so it goes through the traced client (the worker's polling is
// what needs a client of its own).
func provideRevalidationQueue(rdb *goredis.Client) application.RevalidationQueue {
	return workers.NewQueue(rdb)
}
