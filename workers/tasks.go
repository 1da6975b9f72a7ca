// Package workers runs extguard's background work on asynq: the task types
// and payloads (this file), thin handlers that call use cases, the periodic
// scheduler, the queue server and the outbox relay. Payloads carry ids, never
// data: PostgreSQL is the source of truth, and a task may run twice.
package workers

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// Task types. Renaming one strands the tasks already queued under the old name.
const (
	TypeStaleScan        = "agents:stale_scan"
	TypeRevalidationScan = "extensions:revalidation_sweep"
	TypeRevalidate       = "extensions:revalidate"
	TypeDeliverWebhook   = "webhooks:deliver"
	TypeRetention        = "history:retention"
	TypeExpiryScan       = "requests:expiry_scan" // ends expired exceptions and time-limited assignments
	TypeThreatFeedFetch  = "threat_feeds:fetch"
	TypeComplianceDaily  = "compliance:daily" // today's row of the overview's 30-day series
)

// RetentionPeriod is how often partitions are created ahead and retention
// applied: hourly is plenty for monthly partitions and cheap (a few catalog
// reads when nothing is due).
const RetentionPeriod = time.Hour

// ComplianceDailyPeriod is how often today's compliance is recorded: the
// day's last run is what the chart keeps, so a day is at most this stale at
// its end (and today is read live anyway). One aggregate per run.
const ComplianceDailyPeriod = time.Hour

// ThreatFeedCheckPeriod is how often the worker looks for feeds whose own
// interval has passed (one query when none is due).
const ThreatFeedCheckPeriod = time.Minute

// Queues, and their weights on the server: webhook deliveries first, they
// are what people wait for.
const (
	QueueWebhooks = "webhooks"
	QueueDefault  = "default"
)

// QueueWeights is the server's queue priority.
var QueueWeights = map[string]int{QueueWebhooks: 6, QueueDefault: 3}

// Per-type limits. Retries only cover crashes and transient errors: a
// delivery's retries are scheduled in PostgreSQL, a periodic task simply runs
// again next period.
var taskOptions = map[string][]asynq.Option{
	TypeStaleScan:        {asynq.Queue(QueueDefault), asynq.Timeout(2 * time.Minute), asynq.MaxRetry(1)},
	TypeRevalidationScan: {asynq.Queue(QueueDefault), asynq.Timeout(2 * time.Minute), asynq.MaxRetry(3)},
	TypeRevalidate:       {asynq.Queue(QueueDefault), asynq.Timeout(5 * time.Minute), asynq.MaxRetry(3)},
	TypeDeliverWebhook:   {asynq.Queue(QueueWebhooks), asynq.Timeout(2 * time.Minute), asynq.MaxRetry(3)},
	TypeRetention:        {asynq.Queue(QueueDefault), asynq.Timeout(30 * time.Minute), asynq.MaxRetry(1)},
	TypeExpiryScan:       {asynq.Queue(QueueDefault), asynq.Timeout(2 * time.Minute), asynq.MaxRetry(1)},
	TypeThreatFeedFetch:  {asynq.Queue(QueueDefault), asynq.Timeout(5 * time.Minute), asynq.MaxRetry(0)},
	TypeComplianceDaily:  {asynq.Queue(QueueDefault), asynq.Timeout(5 * time.Minute), asynq.MaxRetry(1)},
}

// periodicPayload names the period a periodic task belongs to; its task id
// is derived from it, so every scheduler instance enqueues the same id.
type periodicPayload struct {
	PeriodStart time.Time `json:"period_start"`
}

// revalidatePayload is one entry to revalidate and who asked.
type revalidatePayload struct {
	ExtensionID domain.ID       `json:"extension_id"`
	ActorType   audit.ActorType `json:"actor_type"`
	ActorID     domain.ID       `json:"actor_id"`
}

// deliverPayload is one outbox row; the task id is the delivery id too.
type deliverPayload struct {
	DeliveryID domain.ID `json:"delivery_id"`
}

func newPeriodicTask(typ string, periodStart time.Time) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(periodicPayload{PeriodStart: periodStart.UTC()})
	return asynq.NewTask(typ, b), taskOptions[typ]
}

// periodicTaskID is the time-bucketed id: one task per type and period, across
// every instance.
func periodicTaskID(typ string, periodStart time.Time) string {
	return fmt.Sprintf("%s:%d", typ, periodStart.UnixMilli())
}

func decode[T any](t *asynq.Task) (T, error) {
	var p T
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		// A payload that does not decode never will: do not retry it.
		return p, fmt.Errorf("%s: bad payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return p, nil
}
