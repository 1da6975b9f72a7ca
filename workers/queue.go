package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// Queue enqueues tasks on asynq. It implements the application's
// RevalidationQueue and DeliveryQueue.
type Queue struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

var (
	_ application.RevalidationQueue = (*Queue)(nil)
	_ application.DeliveryQueue     = (*Queue)(nil)
)

// NewQueue enqueues through rdb, which the caller closes.
func NewQueue(rdb redis.UniversalClient) *Queue {
	return &Queue{client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb)}
}

// revalidateDedup drops a second on-demand request for the same entry while
// the first is still queued (best-effort: asynq's Unique).
const revalidateDedup = time.Minute

// EnqueueRevalidation: see application.RevalidationQueue.
func (q *Queue) EnqueueRevalidation(ctx context.Context, r application.RevalidationRequest) error {
	b, _ := json.Marshal(revalidatePayload{ExtensionID: r.EntryID, ActorType: r.RequestedBy.Type, ActorID: r.RequestedBy.ID})
	// Unique keys on the payload, so the same entry asked by two admins is two
	// tasks; both are harmless.
	err := q.enqueue(ctx, TypeRevalidate, "", b, asynq.Unique(revalidateDedup))
	if errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return queueErr(err)
}

// EnqueueDelivery: see application.DeliveryQueue.
func (q *Queue) EnqueueDelivery(ctx context.Context, id domain.ID) error {
	err := q.enqueueDelivery(ctx, id)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // queued already: done
	}
	return queueErr(err)
}

// RequeueDelivery: see application.DeliveryQueue. Task ids also conflict with
// archived and retained tasks, which would otherwise block the delivery for
// good; those are deleted and the task enqueued again.
func (q *Queue) RequeueDelivery(ctx context.Context, id domain.ID) error {
	err := q.enqueueDelivery(ctx, id)
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return queueErr(err)
	}
	info, err := q.inspector.GetTaskInfo(QueueWebhooks, id.String())
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
	case err != nil:
		return queueErr(err)
	case info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted:
		if err := q.inspector.DeleteTask(QueueWebhooks, id.String()); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return queueErr(err)
		}
	default:
		return nil // pending, scheduled, retrying or running: it will run
	}
	err = q.enqueueDelivery(ctx, id)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return queueErr(err)
}

func (q *Queue) enqueueDelivery(ctx context.Context, id domain.ID) error {
	b, _ := json.Marshal(deliverPayload{DeliveryID: id})
	return q.enqueue(ctx, TypeDeliverWebhook, id.String(), b)
}

// enqueuePeriodic enqueues the task of one period under its bucketed id;
// another instance having enqueued it is success.
func (q *Queue) enqueuePeriodic(ctx context.Context, typ string, periodStart time.Time, retain time.Duration) error {
	t, _ := newPeriodicTask(typ, periodStart)
	// Retention keeps the finished task (and so its id) past the end of the
	// period (asynq counts it in whole seconds): an instance whose tick comes
	// late still conflicts.
	err := q.enqueue(ctx, typ, periodicTaskID(typ, periodStart), t.Payload(), asynq.Retention(retain))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

func queueErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(domain.Unavailable("task queue unavailable"), fmt.Errorf("asynq: %w", err))
}

// enqueue sends one task (with id as its task id, unless empty) inside a
// producer span, whose context the task's headers carry to the consumer span.
// A task id or uniqueness conflict is the queue working, not a span error.
func (q *Queue) enqueue(ctx context.Context, typ, id string, payload []byte, opts ...asynq.Option) error {
	queue := QueueDefault
	if typ == TypeDeliverWebhook {
		queue = QueueWebhooks
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "asynq"),
		attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", queue),
	}
	if id != "" {
		attrs = append(attrs, attribute.String("messaging.message.id", id))
		opts = append(opts, asynq.TaskID(id))
	}
	ctx, span := tracer.Start(ctx, "enqueue "+typ, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
	defer span.End()
	t := asynq.NewTaskWithHeaders(typ, payload, traceHeaders(ctx), taskOptions[typ]...)
	_, err := q.client.EnqueueContext(ctx, t, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		span.SetStatus(codes.Error, "enqueue failed")
	}
	return err
}

// traceHeaders carries the caller's trace into the task, so the task's span
// continues the trace of the request that queued it.
func traceHeaders(ctx context.Context) map[string]string {
	h := map[string]string{}
	otel.GetTextMapPropagator().Inject(ctx, propagation.MapCarrier(h))
	return h
}
