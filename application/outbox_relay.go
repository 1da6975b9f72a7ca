package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
)

// DefaultRelayBatch is how many deliveries one relay pass hands to the queue.
const DefaultRelayBatch = 200

// RelayOutbox moves due deliveries from the outbox (webhook_deliveries) to
// the queue, and re-queues those whose task was lost. Several instances may
// run it at once: rows are locked with SKIP LOCKED, and the queue refuses a
// second task with the same delivery id.
type RelayOutbox struct {
	Tx     Transactor
	Outbox Outbox
	Queue  DeliveryQueue
	Clock  Clock
	Batch  int // 0: DefaultRelayBatch
}

// Relay queues the pending deliveries that are due and not queued yet, and
// returns how many it queued. When the queue is down it stops at the first
// failure; what it queued before stays marked, the rest waits for the next
// pass. Errors: unavailable (queue), internal (database).
func (uc RelayOutbox) Relay(ctx context.Context) (int, error) {
	return uc.pass(ctx, func(ctx context.Context, now time.Time) ([]domain.ID, error) {
		return uc.Outbox.LockDue(ctx, now, uc.batch())
	}, uc.Queue.EnqueueDelivery)
}

// Reconcile re-queues deliveries queued more than overdueAfter ago that are
// still pending and due: their task vanished (a Redis flush, a lost write)
// or died with its worker. The queue keeps a task that is still queued or
// running, so nothing is attempted twice at once; the delivery's own claim
// guards the rest.
func (uc RelayOutbox) Reconcile(ctx context.Context, overdueAfter time.Duration) (int, error) {
	return uc.pass(ctx, func(ctx context.Context, now time.Time) ([]domain.ID, error) {
		return uc.Outbox.LockOverdue(ctx, now, now.Add(-overdueAfter), uc.batch())
	}, uc.Queue.RequeueDelivery)
}

func (uc RelayOutbox) pass(ctx context.Context, lock func(context.Context, time.Time) ([]domain.ID, error),
	enqueue func(context.Context, domain.ID) error) (int, error) {
	var queued []domain.ID
	var queueErr error
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		now := uc.Clock.Now()
		ids, err := lock(ctx, now)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if queueErr = enqueue(ctx, id); queueErr != nil {
				break
			}
			queued = append(queued, id)
		}
		return uc.Outbox.MarkEnqueued(ctx, queued, now)
	})
	if err != nil {
		return 0, err
	}
	return len(queued), queueErr
}

func (uc RelayOutbox) batch() int {
	if uc.Batch <= 0 {
		return DefaultRelayBatch
	}
	return uc.Batch
}
