package main

import (
	"github.com/google/wire"

	"github.com/extguard/extguard/adapters/postgres"
)

// infraSet is what every process shares: the database and Redis.
var infraSet = wire.NewSet(provideDB, provideRedis)

// postgresSet is every PostgreSQL adapter; each process takes what its
// graph needs.
var postgresSet = wire.NewSet(
	postgres.NewTxRunner, postgres.NewAuditLog, postgres.NewMigrator,
	postgres.NewUserRepository, postgres.NewSessionRepository,
	postgres.NewGroupRepository, postgres.NewCatalogRepository, postgres.NewAssignmentRepository,
	postgres.NewBlocklistRepository, postgres.NewWebhookRepository, postgres.NewAPIKeyRepository,
	postgres.NewAgentRepository, postgres.NewAgentLiveness, postgres.NewHeartbeatStore, provideReportStore,
	postgres.NewFleetReader, postgres.NewInstallationReader, postgres.NewComplianceReader, postgres.NewAuditReader,
	postgres.NewPolicyInputs, postgres.NewRevalidationCatalog, postgres.NewOutbox, postgres.NewDeliveries,
	postgres.NewFleetGauges, postgres.NewPartitions, postgres.NewHistoryReader,
	postgres.NewRequestRepository, postgres.NewExceptionRepository,
	postgres.NewThreatFeedRepository, postgres.NewExposureReader, postgres.NewSBOMReader,
	postgres.NewCapabilityStore, postgres.NewComplianceSeries, postgres.NewPolicyStore, postgres.NewVerdictInventory,
)

// serverSet is the API process: the application assembled on its adapters
// (appSet), the HTTP modules and the background work.
var serverSet = wire.NewSet(
	infraSet, appSet,
	provideServerReadiness, provideHealth, provideModules, provideApp, provideAgentRoutes, provideAdminRoutes, provideConsoleRoutes,
	provideServerRunners, provideServerGauges,
)
