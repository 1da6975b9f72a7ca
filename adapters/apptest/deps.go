// Package apptest assembles the application's ports on the real adapters
// for tests of the adapters that drive it (the REST API, the console), so
// each test package builds the application as the process does, from one
// list.
package apptest

import (
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/password"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/workers"
)

// Deps are the application's ports on the real adapters, as the process
// wires them, with the system clock for both clocks and cheap Argon2id
// parameters (the tests exercise the flow, not the cost). The agent API's
// buffers (Heartbeats, Reports) are the caller's: they need closing.
func Deps(db *bun.DB, rdb *goredis.Client, bus *redis.Bus, limiter *redis.RateLimiter, log *slog.Logger) application.Deps {
	keyRepo, agentRepo := postgres.NewAPIKeyRepository(db), postgres.NewAgentRepository(db)
	keys, agents := redis.NewAPIKeyCache(keyRepo, bus), redis.NewAgentCache(agentRepo, bus)
	inputs := postgres.NewPolicyInputs(db)
	policies := redis.NewPolicyCache(inputs, bus)
	clock := application.SystemClock{}
	exceptionRepo := postgres.NewExceptionRepository(db)
	overlay := redis.NewExceptionOverlay(exceptionRepo, bus)
	return application.Deps{
		Tx: postgres.NewTxRunner(db), Audit: postgres.NewAuditLog(db), Clocks: application.Clocks{Precise: clock, Coarse: clock},
		Hasher: password.NewArgon2id(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Log:    log,
		Users:  postgres.NewUserRepository(db), Sessions: postgres.NewSessionRepository(db), LoginLimiter: limiter,
		SessionTTL: application.SessionTTL(time.Hour),
		Groups:     postgres.NewGroupRepository(db), Catalog: postgres.NewCatalogRepository(db),
		Assignments: postgres.NewAssignmentRepository(db), Blocklist: postgres.NewBlocklistRepository(db),
		Webhooks: postgres.NewWebhookRepository(db), URLGuard: outbound.TargetGuard{}, Secrets: webhook.Secrets{},
		Agents: agentRepo, AgentLookup: agents, AgentCache: agents, Fleet: postgres.NewFleetReader(db),
		Installations: postgres.NewInstallationReader(db), Compliance: postgres.NewComplianceReader(db), History: postgres.NewHistoryReader(db),
		AuditReader: postgres.NewAuditReader(db), PolicyInputs: inputs, ComplianceSeries: postgres.NewComplianceSeries(db),
		PolicyStore: postgres.NewPolicyStore(db), VerdictInventory: postgres.NewVerdictInventory(db),
		Policies: policies, Invalidator: policies,
		APIKeys: keyRepo, APIKeyLookup: keys, APIKeyUsage: postgres.NewAPIKeyUsageRecorder(db, log, time.Hour),
		APIKeyInvalidator: keys,
		AgentLimiter:      limiter, AgentLimits: application.DefaultAgentRateLimits(),
		RevalidationCatalog: postgres.NewRevalidationCatalog(db), RevalidationQueue: workers.NewQueue(rdb),
		Outbox: postgres.NewOutbox(db), DeliveryLog: postgres.NewDeliveries(db),
		Requests: postgres.NewRequestRepository(db), ExceptionStore: exceptionRepo, Exceptions: overlay,
		ExceptionBus: overlay, RequestLimit: application.DefaultRequestLimit(),
		ThreatFeeds: postgres.NewThreatFeedRepository(db), Exposure: postgres.NewExposureReader(db),
		SBOM: postgres.NewSBOMReader(db), Capabilities: postgres.NewCapabilityStore(db),
	}
}
