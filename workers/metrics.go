package workers

import (
	"context"
	"slices"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/extguard/extguard/adapters/telemetry"
	"github.com/extguard/extguard/application"
)

// The workers' metrics, on the global meter provider (telemetry.Setup).
var (
	meter = otel.Meter("github.com/extguard/extguard/workers")

	taskDuration, _ = meter.Float64Histogram("extguard.task.duration",
		metric.WithUnit("s"), metric.WithDescription("Task processing time by task type and outcome (ok, error)"),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))

	webhookAttempts, _ = meter.Int64Counter("extguard.webhook.attempts",
		metric.WithDescription("Webhook delivery attempts by outcome (delivered, retry, gone)"))

	deliveryOutcomes, _ = meter.Int64Counter("extguard.webhook.deliveries",
		metric.WithDescription("Webhook delivery tasks by the delivery's state afterwards (delivered, pending, failed, skipped, error)"))
)

// deliveryStatusLabel: "skipped" is a task that found nothing to do (another
// took it, or it is not due), "error" one the database failed.
func deliveryStatusLabel(s application.DeliveryStatus, err error) string {
	switch {
	case err != nil:
		return "error"
	case s == "":
		return "skipped"
	}
	return string(s)
}

func countAttempt(ctx context.Context, o application.WebhookOutcome) {
	webhookAttempts.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", string(o))))
}

// QueueGauges reads the queues' depth by state and their latency (the age of
// the oldest pending task) from asynq, for telemetry.ObserveCached.
func (q *Queue) QueueGauges() (telemetry.Reading, []telemetry.Gauge) {
	gauges := []telemetry.Gauge{
		{Name: "extguard.queue.tasks", Unit: "{task}", Description: "Tasks in each queue by state (pending, active, scheduled, retry, archived, completed)"},
		{Name: "extguard.queue.latency", Unit: "s", Description: "Age of the oldest pending task in each queue"},
	}
	read := func(ctx context.Context) ([][]telemetry.Sample, error) {
		known, err := q.inspector.Queues()
		if err != nil {
			return nil, err
		}
		var tasks, latency []telemetry.Sample
		for name := range QueueWeights {
			info := &asynq.QueueInfo{Queue: name} // nothing ever queued there: zeros
			if slices.Contains(known, name) {
				if info, err = q.inspector.GetQueueInfo(name); err != nil {
					return nil, err
				}
			}
			qa := attribute.String("queue", name)
			for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
				"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
				tasks = append(tasks, telemetry.Sample{Attrs: []attribute.KeyValue{qa, attribute.String("state", state)}, Value: float64(n)})
			}
			latency = append(latency, telemetry.Sample{Attrs: []attribute.KeyValue{qa}, Value: info.Latency.Seconds()})
		}
		return [][]telemetry.Sample{tasks, latency}, nil
	}
	return read, gauges
}
