package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/google/wire"
	"github.com/redis/go-redis/extra/redisotel/v9"
	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/config"
	"github.com/extguard/extguard/adapters/feedfetch"
	"github.com/extguard/extguard/adapters/marketplace"
	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/adapters/webhook"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/workers"
)

// workerRunners is the worker process's background work: the asynq server,
// the scheduler and the outbox relay.
type workerRunners []Runner

// queueRedis is the queue's own Redis client: asynq polls Redis several times
// a second, which would drown traces if it went through the traced client.
type queueRedis struct{ *goredis.Client }

// workerSet is the worker process. Its use cases are workers.UseCases,
// assembled in provideWorkerUseCases: none of them is the API's, and they
// need adapters (the marketplace fetcher, the webhook sender) the API has no
// use for.
var workerSet = wire.NewSet(
	infraSet, postgresSet, redis.NewBus, provideQueueRedis, provideQueue,
	provideWorkerPolicyInvalidator, provideWorkerUseCases, provideWorkerRunners, provideWorkerGauges,
	provideWorkerReadiness,
)

func provideQueueRedis(cfg config.Config) (queueRedis, func(), error) {
	opts, err := goredis.ParseURL(cfg.RedisURL)
	if err != nil {
		return queueRedis{}, nil, fmt.Errorf("EXTGUARD_REDIS_URL: %w", err)
	}
	c := goredis.NewClient(opts)
	// Pool statistics only: tracing asynq's polling would drown the traces.
	if err := redisotel.InstrumentMetrics(c, redisotel.WithPoolName("queue")); err != nil {
		_ = c.Close()
		return queueRedis{}, nil, err
	}
	return queueRedis{c}, func() { _ = c.Close() }, nil
}

func provideQueue(rdb queueRedis) *workers.Queue { return workers.NewQueue(rdb.Client) }

// provideWorkerPolicyInvalidator publishes invalidations on the agent API's
// bus, so API instances drop compiled policies when revalidation changes the
// catalog.
func provideWorkerPolicyInvalidator(inputs *postgres.PolicyInputs, bus *redis.Bus) application.PolicyInvalidator {
	return redis.NewPolicyCache(inputs, bus)
}

func provideWorkerUseCases(cfg config.Config, tx *postgres.TxRunner, auditLog *postgres.AuditLog,
	liveness *postgres.AgentLiveness, catalog *postgres.RevalidationCatalog, deliveries *postgres.Deliveries,
	queue *workers.Queue, policies application.PolicyInvalidator, partitions *postgres.Partitions,
	exceptions *postgres.ExceptionRepository, bus *redis.Bus, feeds *postgres.ThreatFeedRepository,
	exposure *postgres.ExposureReader, capabilities *postgres.CapabilityStore,
	series *postgres.ComplianceSeries) workers.UseCases {
	clock := application.SystemClock{}
	fetcher := marketplace.NewFetcher(marketplace.FetcherConfig{
		AllowedHosts: cfg.MarketplaceHosts, AllowPrivate: cfg.OutboundAllowPrivate})
	sender := webhook.NewSender(outbound.NewClient(outbound.Policy{AllowPrivate: cfg.OutboundAllowPrivate},
		outbound.Timeouts{}), "")
	return workers.UseCases{
		DetectStale:  application.DetectStaleAgents{Tx: tx, Liveness: liveness, Clock: clock},
		SweepRevalid: application.SweepRevalidation{Catalog: catalog, Queue: queue},
		Revalidate: application.RevalidateCatalogEntry{Tx: tx, Catalog: catalog, Packages: workers.PackageFetcher{Fetcher: fetcher},
			Audit: auditLog, Policies: policies, Clock: clock, Capabilities: capabilities},
		DeliverWebhook: application.DeliverWebhook{Tx: tx, Deliveries: deliveries, Sender: workers.WebhookSender{Sender: sender},
			Audit: auditLog, Clock: clock, MaxAttempts: webhook.MaxAttempts,
			Backoff: func(attempt int) time.Duration { return webhook.NextAttempt(attempt, nil) }},
		DeliveryOrigins: deliveries,
		Retention: application.ApplyRetention{Tx: tx, Partitions: partitions, Audit: auditLog, Clock: clock,
			Policy: application.RetentionPolicy{Reports: cfg.ReportRetention, Audit: cfg.AuditRetention, Deliveries: cfg.DeliveryRetention}},
		ExpireGrants: application.ExpireGrants{Tx: tx, Exceptions: exceptions, Audit: auditLog, Clock: clock,
			Invalidator: policies, ExceptionBus: redis.NewExceptionOverlay(exceptions, bus)},
		FetchFeeds: application.FetchThreatFeeds{Feeds: feeds, Clock: clock,
			Fetcher: feedfetch.New(feedfetch.Config{AllowPrivate: cfg.OutboundAllowPrivate}),
			Import:  provideFeedImport(tx, auditLog, feeds, exposure, policies)},
		RecordCompliance: application.RecordComplianceDay{Series: series, Clock: clock},
	}
}

func provideWorkerRunners(cfg config.Config, log *slog.Logger, rdb queueRedis, queue *workers.Queue,
	uc workers.UseCases, tx *postgres.TxRunner, outbox *postgres.Outbox) workerRunners {
	log = log.With("component", "worker")
	relay := application.RelayOutbox{Tx: tx, Outbox: outbox, Queue: queue, Clock: application.SystemClock{}}
	return workerRunners{
		workers.NewServer(rdb.Client, workers.ServerConfig{ShutdownTimeout: shutdownGrace - 5*time.Second},
			workers.NewHandlers(uc, log), log),
		workers.NewScheduler(queue, []workers.Periodic{
			{Type: workers.TypeStaleScan, Period: cfg.StaleScanInterval},
			{Type: workers.TypeRevalidationScan, Period: cfg.RevalidateInterval},
			{Type: workers.TypeRetention, Period: workers.RetentionPeriod},
			{Type: workers.TypeExpiryScan, Period: cfg.ExpiryScanInterval},
			{Type: workers.TypeThreatFeedFetch, Period: workers.ThreatFeedCheckPeriod},
			{Type: workers.TypeComplianceDaily, Period: workers.ComplianceDailyPeriod},
		}, log),
		workers.NewRelay(relay, workers.RelayConfig{}, log),
	}
}

// feedImportSet is `extguard feeds import`: the import use case on
// PostgreSQL, publishing invalidations on the agent API's bus.
var feedImportSet = wire.NewSet(infraSet, postgresSet, redis.NewBus, provideWorkerPolicyInvalidator, provideFeedImport)

func provideFeedImport(tx *postgres.TxRunner, auditLog *postgres.AuditLog, feeds *postgres.ThreatFeedRepository,
	exposure *postgres.ExposureReader, policies application.PolicyInvalidator) application.ImportThreatFeed {
	clock := application.SystemClock{}
	return application.NewImportThreatFeed(application.Deps{Tx: tx, Audit: auditLog, ThreatFeeds: feeds, Exposure: exposure,
		Invalidator: policies, Clocks: application.Clocks{Precise: clock, Coarse: clock}})
}
