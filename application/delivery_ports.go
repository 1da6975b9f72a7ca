package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeliveryQueue hands outbox deliveries to the workers, with the delivery id
// as the task id, so that enqueuing twice queues once.
type DeliveryQueue interface {
	// EnqueueDelivery queues a delivery; one already queued counts as done.
	// Errors: unavailable when the queue is down.
	EnqueueDelivery(ctx context.Context, deliveryID domain.ID) error
	// RequeueDelivery is EnqueueDelivery for a delivery that should have
	// run long ago: a finished (archived or retained) task of the same id,
	// which would block a new one, is removed first; a task still queued or
	// running is left alone. Errors: unavailable.
	RequeueDelivery(ctx context.Context, deliveryID domain.ID) error
}

// PendingDelivery is what one delivery attempt needs.
type PendingDelivery struct {
	ID             domain.ID
	WebhookID      domain.ID
	Attempts       int // made before this one
	URL            string
	Secrets        []string // current first, then the previous one during a rotation
	WebhookEnabled bool
	WebhookDeleted bool
	Event          audit.Event
	FirstAttemptAt time.Time // zero before the first attempt
}

// AttemptRecord is one attempt, for webhook_attempts.
type AttemptRecord struct {
	Attempt         int
	AttemptedAt     time.Time
	StatusCode      int // 0 when no answer
	Duration        time.Duration
	Error           string
	ResponseSnippet string
}

// DeliveryStatus is a webhook_deliveries status.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// DeliveryOutcome is the state a delivery moves to after an attempt.
type DeliveryOutcome struct {
	Status        DeliveryStatus
	NextAttemptAt time.Time // for pending
	LastError     string
}

// DeliveryStore is the delivery worker's view of the outbox.
type DeliveryStore interface {
	// Claim takes the delivery for one attempt when it is pending and due at
	// now: its next_attempt_at moves to now+lease, so a duplicate task finds
	// it not due, and a crashed attempt becomes due again after the lease.
	// ok is false when there is nothing to do. Errors: internal.
	Claim(ctx context.Context, id domain.ID, now time.Time, lease time.Duration) (d PendingDelivery, ok bool, err error)
	// RecordAttempt stores the attempt (if a.Attempt > 0) and the delivery's
	// new state, and un-marks it as queued so the relay picks up a retry.
	RecordAttempt(ctx context.Context, id domain.ID, a AttemptRecord, o DeliveryOutcome) error
	// DeliveredSince reports whether any delivery to the webhook succeeded
	// at or after since.
	DeliveredSince(ctx context.Context, webhookID domain.ID, since time.Time) (bool, error)
	// DisableWebhook turns the webhook off with reason; changed is false when
	// it was already off or is deleted.
	DisableWebhook(ctx context.Context, webhookID domain.ID, reason string, now time.Time) (changed bool, err error)
}

// WebhookOutcome classifies an attempt's answer.
type WebhookOutcome string

const (
	WebhookDelivered WebhookOutcome = "delivered" // 2xx
	WebhookRetry     WebhookOutcome = "retry"     // anything else but 410
	WebhookGone      WebhookOutcome = "gone"      // 410: the receiver asks to stop
)

// WebhookMessage is one signed POST.
type WebhookMessage struct {
	URL       string
	MessageID string // webhook-id: the audit event id, the same on every retry
	Secrets   []string
	Body      []byte
}

// WebhookResult is what an attempt produced.
type WebhookResult struct {
	StatusCode      int
	Duration        time.Duration
	Err             error
	ResponseSnippet string
	Outcome         WebhookOutcome
}

// WebhookSender makes one signed delivery attempt (Standard Webhooks), never
// following redirects and refusing private targets unless allowed.
type WebhookSender interface {
	Send(ctx context.Context, m WebhookMessage) WebhookResult
}

// DeliveryLog reads deliveries and their attempts for the admin API.
type DeliveryLog interface {
	// WebhookExists: Errors not_found for an unknown or deleted webhook.
	WebhookExists(ctx context.Context, webhookID domain.ID) error
	// ListDeliveries pages the webhook's deliveries, newest first, each with
	// every attempt in order. Errors: invalid (cursor).
	ListDeliveries(ctx context.Context, webhookID domain.ID, page PageRequest) (Page[DeliveryView], error)
}
