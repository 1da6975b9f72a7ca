package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// Ports of the background work: stale-agent detection, checksum
// revalidation and the webhook outbox.

// AgentLiveness applies the stale/offline thresholds to every agent at once.
type AgentLiveness interface {
	// MarkSilentAgents moves each agent silent beyond its group's
	// stale_after_s to stale and beyond offline_after_s to offline, as of now,
	// in set-based statements. Each transition writes one audit row
	// (agent.status_changed) and its outbox rows in the caller's transaction.
	// Errors: internal.
	MarkSilentAgents(ctx context.Context, now time.Time) (StaleScanResult, error)
}

// StaleScanResult counts the transitions one scan made.
type StaleScanResult struct {
	Stale   int // active → stale
	Offline int // active or stale → offline
}

// RevalidationCatalog is the catalog as revalidation sees it.
type RevalidationCatalog interface {
	// Get returns a live catalog entry. Errors: not_found for an unknown or
	// deleted entry.
	Get(ctx context.Context, id domain.ID) (extension.Entry, error)
	// Update changes the locked entry (the Update contract atop ports_admin.go) and
	// stores what revalidation may change: content_sha256, revalidated_at,
	// is_blocked, block_reason and updated_at. Never the pinned checksum.
	// Errors: not_found when the entry vanished, whatever change returns.
	Update(ctx context.Context, id domain.ID, change func(current extension.Entry) (extension.Entry, error)) (extension.Entry, error)
	// ListRevalidatable lists the live entries that can be revalidated: a
	// pinned version, a SHA-256 and a marketplace URL.
	ListRevalidatable(ctx context.Context) ([]domain.ID, error)
}

// PackageFetcher downloads the VSIX package behind a catalog's marketplace URL.
type PackageFetcher interface {
	// Fetch downloads rawURL. Errors: unavailable for what may pass
	// (timeouts, 5xx, 429, network errors); invalid for what will not
	// (host or scheme not allowed, blocked address, other 4xx, too large,
	// too many redirects, corrupt encoding).
	Fetch(ctx context.Context, rawURL string) (FetchedPackage, error)
}

// FetchedPackage is a downloaded package; Close releases it.
type FetchedPackage interface {
	// SHA256 is the hex digest of the package bytes.
	SHA256() string
	// ContentDigest is the digest of the package's extension/ entries, the
	// one agents report. Errors: invalid for a package that is not a zip,
	// escapes its folder, or exceeds the entry or size caps.
	ContentDigest() (string, error)
	Close() error
}

// RevalidationRequest asks for one catalog entry to be revalidated.
// RequestedBy is who asked (the system for periodic runs); only its type and
// id travel through the queue.
type RevalidationRequest struct {
	ExtensionID domain.ID
	RequestedBy audit.Actor
}

// RevalidationQueue hands revalidation to the workers.
type RevalidationQueue interface {
	// EnqueueRevalidation queues one revalidation; a duplicate of one still
	// queued may be dropped. Errors: unavailable when the queue is down.
	EnqueueRevalidation(ctx context.Context, r RevalidationRequest) error
}

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
