package main

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/workers"
)

// gaugeTTL is how long a gauge reading is served before the store is asked
// again: scrapes every few seconds cost one query per TTL, not per scrape.
const gaugeTTL = 15 * time.Second

// serverGauges marks the API process's gauges as registered.
type serverGauges struct{}

// provideServerGauges: agents by group and status.
func provideServerGauges(log *slog.Logger, fleet *postgres.FleetGauges) (serverGauges, func(), error) {
	unregister, err := telemetry.ObserveCached(log, gaugeTTL, func(ctx context.Context) ([][]telemetry.Sample, error) {
		counts, err := fleet.AgentsByGroupAndStatus(ctx)
		if err != nil {
			return nil, err
		}
		samples := make([]telemetry.Sample, len(counts))
		for i, c := range counts {
			samples[i] = telemetry.Sample{Value: float64(c.Count),
				Attrs: []attribute.KeyValue{attribute.String("group", c.Group), attribute.String("status", c.Status)}}
		}
		return [][]telemetry.Sample{samples}, nil
	}, telemetry.Gauge{Name: "extguard.agents", Unit: "{agent}", Description: "Live agents by group and status"})
	return serverGauges{}, unregister, err
}

// workerGauges marks the worker process's gauges as registered.
type workerGauges struct{}

// provideWorkerGauges: the queue's depth and latency, and the outbox's lag.
func provideWorkerGauges(log *slog.Logger, fleet *postgres.FleetGauges, queue *workers.Queue) (workerGauges, func(), error) {
	readQueue, queueGauges := queue.QueueGauges()
	unregisterQueue, err := telemetry.ObserveCached(log, 5*time.Second, readQueue, queueGauges...)
	if err != nil {
		return workerGauges{}, nil, err
	}
	unregisterOutbox, err := telemetry.ObserveCached(log, 5*time.Second, func(ctx context.Context) ([][]telemetry.Sample, error) {
		b, err := fleet.OutboxBacklog(ctx)
		if err != nil {
			return nil, err
		}
		one := func(v float64) []telemetry.Sample { return []telemetry.Sample{{Value: v}} }
		return [][]telemetry.Sample{one(float64(b.Pending)), one(b.OldestPendingAge.Seconds()), one(b.OldestDueAge.Seconds())}, nil
	},
		telemetry.Gauge{Name: "extguard.outbox.pending", Unit: "{delivery}", Description: "Webhook deliveries not yet delivered nor given up"},
		telemetry.Gauge{Name: "extguard.outbox.oldest_pending_age", Unit: "s", Description: "Age of the oldest undelivered webhook delivery"},
		telemetry.Gauge{Name: "extguard.outbox.lag", Unit: "s", Description: "How long the most overdue pending delivery has been due (relay and worker lag)"},
	)
	if err != nil {
		unregisterQueue()
		return workerGauges{}, nil, err
	}
	return workerGauges{}, func() { unregisterQueue(); unregisterOutbox() }, nil
}
