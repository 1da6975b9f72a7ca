package application_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// outboxInMemory is the Outbox: due deliveries, and which were marked.
type outboxInMemory struct {
	application.Outbox
	due, marked []domain.ID
	limit       int
}

func (o *outboxInMemory) LockDue(_ context.Context, _ time.Time, limit int) ([]domain.ID, error) {
	o.limit = limit
	return o.due[:min(limit, len(o.due))], nil
}

func (o *outboxInMemory) MarkEnqueued(_ context.Context, ids []domain.ID, _ time.Time) error {
	o.marked = append(o.marked, ids...)
	return nil
}

// queueFailingAfter is the DeliveryQueue: it accepts n tasks, then is down.
type queueFailingAfter struct{ n int }

func (q *queueFailingAfter) EnqueueDelivery(context.Context, domain.ID) error {
	if q.n == 0 {
		return domain.Unavailable("queue down")
	}
	q.n--
	return nil
}

func (q *queueFailingAfter) RequeueDelivery(ctx context.Context, id domain.ID) error {
	return q.EnqueueDelivery(ctx, id)
}

// When the queue goes down mid-pass the relay stops at the first failure
// and marks exactly what it queued, so the rest waits for the next pass
// and nothing queued is queued again. A pass takes at most Batch rows.
func TestRelayOutboxMarksOnlyWhatItQueued(t *testing.T) {
	t.Parallel()
	outbox := &outboxInMemory{due: []domain.ID{domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()}}
	uc := application.RelayOutbox{Tx: runInline{}, Outbox: outbox, Queue: &queueFailingAfter{n: 2}, Clock: fixedClock{}, Batch: 3}
	n, err := uc.Relay(context.Background())
	if domain.CodeOf(err) != domain.CodeUnavailable || n != 2 {
		t.Fatalf("queue down after two: queued %d, %v; want 2 and unavailable", n, err)
	}
	if len(outbox.marked) != 2 || outbox.marked[0] != outbox.due[0] || outbox.marked[1] != outbox.due[1] || outbox.limit != 3 {
		t.Fatalf("marked %v of %v with limit %d; want the first two, batch 3", outbox.marked, outbox.due, outbox.limit)
	}
}
