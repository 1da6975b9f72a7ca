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
	"go.opentelemetry.io/otel/propagation"

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
	b, _ := json.Marshal(revalidatePayload{ExtensionID: r.ExtensionID, ActorType: r.RequestedBy.Type, ActorID: r.RequestedBy.ID})
	t := asynq.NewTaskWithHeaders(TypeRevalidate, b, traceHeaders(ctx), taskOptions[TypeRevalidate]...)
	// Unique keys on the payload, so the same entry asked by two admins is two
	// tasks; both are harmless.
	_, err := q.client.EnqueueContext(ctx, t, asynq.Unique(revalidateDedup))
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
	t := asynq.NewTaskWithHeaders(TypeDeliverWebhook, b, traceHeaders(ctx), taskOptions[TypeDeliverWebhook]...)
	_, err := q.client.EnqueueContext(ctx, t, asynq.TaskID(id.String()))
	return err
}

// enqueuePeriodic enqueues the task of one period under its bucketed id;
// another instance having enqueued it is success.
func (q *Queue) enqueuePeriodic(ctx context.Context, typ string, periodStart time.Time, retain time.Duration) error {
	t, opts := newPeriodicTask(typ, periodStart)
	t = asynq.NewTaskWithHeaders(t.Type(), t.Payload(), traceHeaders(ctx), opts...)
	// Retention keeps the finished task (and so its id) past the end of the
	// period (asynq counts it in whole seconds): an instance whose tick comes
	// late still conflicts.
	_, err := q.client.EnqueueContext(ctx, t, asynq.TaskID(periodicTaskID(typ, periodStart)), asynq.Retention(retain))
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

// traceHeaders carries the caller's trace into the task, so a webhook delivery
// shows up in the trace of the request that caused it.
func traceHeaders(ctx context.Context) map[string]string {
	h := map[string]string{}
	otel.GetTextMapPropagator().Inject(ctx, propagation.MapCarrier(h))
	return h
}
