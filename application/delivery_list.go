package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
)

// DeliveryView is one outbox delivery of an audit event to a webhook, with
// every attempt made (GET /api/v1/webhooks/{id}/deliveries).
type DeliveryView struct {
	ID             domain.ID
	WebhookID      domain.ID
	AuditID        domain.ID
	EventType      string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  time.Time // meaningful while pending
	LastAttemptAt  time.Time // zero before the first attempt
	LastStatusCode int       // 0 when no answer was received
	LastError      string
	DeliveredAt    time.Time // zero unless delivered
	CreatedAt      time.Time
	AttemptLog     []AttemptView // oldest first
}

// AttemptView is one recorded attempt.
type AttemptView struct {
	Attempt         int
	AttemptedAt     time.Time
	StatusCode      int
	DurationMS      int
	Error           string
	ResponseSnippet string
}

// ListWebhookDeliveries lists a webhook's deliveries, newest first.
type ListWebhookDeliveries struct {
	Log DeliveryLog
}

// Execute answers one page. Errors: not_found for an unknown or deleted
// webhook; invalid for a cursor this API did not hand out.
func (uc ListWebhookDeliveries) Execute(ctx context.Context, webhookID domain.ID, page PageRequest) (_ Page[DeliveryView], err error) {
	ctx, obs := observe(ctx, "ListWebhookDeliveries")
	defer obs.end(&err)
	if err := uc.Log.WebhookExists(ctx, webhookID); err != nil {
		return Page[DeliveryView]{}, err
	}
	return uc.Log.ListDeliveries(ctx, webhookID, page)
}
