package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// Outbox is the relay's view of webhook_deliveries.
type Outbox interface {
	// LockDue locks (FOR UPDATE SKIP LOCKED, so relays on several instances
	// share the work) up to limit pending deliveries due at now that are not
	// queued, of webhooks that are enabled (or deleted, so the worker can
	// close them). Call it inside a transaction.
	LockDue(ctx context.Context, now time.Time, limit int) ([]domain.ID, error)
	// LockOverdue locks up to limit pending deliveries due at now that were
	// queued before enqueuedBefore and are still pending: their task was
	// lost (Redis flushed, worker crashed) or is stuck.
	LockOverdue(ctx context.Context, now, enqueuedBefore time.Time, limit int) ([]domain.ID, error)
	// MarkEnqueued records that the deliveries were handed to the queue at now.
	MarkEnqueued(ctx context.Context, ids []domain.ID, now time.Time) error
	// AppendTo writes e to the audit log with one delivery for webhookID
	// only (not the subscribers of e's type). Errors: not_found for an
	// unknown or deleted webhook, conflict for a disabled one.
	AppendTo(ctx context.Context, e audit.Event, webhookID domain.ID) error
}
