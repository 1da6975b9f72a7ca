package application

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DefaultMaxDeliveryAttempts matches the webhook adapter's schedule (about
// three days of retries).
const DefaultMaxDeliveryAttempts = 12

// DefaultDeliveryLease bounds one attempt (the sender's total timeout is
// 30 s); a worker that dies mid-attempt leaves the delivery due again after it.
const DefaultDeliveryLease = 2 * time.Minute

// recordTimeout bounds recording an attempt after the task's own context ended.
const recordTimeout = 10 * time.Second

// DeliverWebhook makes one attempt of one outbox delivery. PostgreSQL is the
// source of truth: the attempt is recorded, and a retry is a new
// next_attempt_at that the relay picks up, not a queue retry (those only
// cover crashes).
type DeliverWebhook struct {
	Tx         Transactor
	Deliveries DeliveryStore
	Sender     WebhookSender
	Audit      AuditLog
	Clock      Clock
	// Backoff is the wait after the n-th failed attempt (1-based).
	Backoff     func(attempt int) time.Duration
	MaxAttempts int           // 0: DefaultMaxDeliveryAttempts
	Lease       time.Duration // 0: DefaultDeliveryLease
}

// Execute attempts the delivery if it is pending and due; otherwise (already
// delivered, failed, not due, or being attempted elsewhere) it does nothing,
// so a duplicate task is harmless. Errors: internal or unavailable when the
// database fails; the attempt may then be repeated (at least once).
func (uc DeliverWebhook) Execute(ctx context.Context, deliveryID domain.ID) (_ DeliveryStatus, err error) {
	ctx, obs := observe(ctx, "DeliverWebhook")
	defer obs.end(&err)
	now := uc.Clock.Now()
	d, ok, err := uc.Deliveries.Claim(ctx, deliveryID, now, uc.lease())
	if err != nil || !ok {
		return "", err
	}
	switch {
	case d.WebhookDeleted:
		return DeliveryFailed, uc.Deliveries.RecordAttempt(ctx, d.ID, AttemptRecord{},
			DeliveryOutcome{Status: DeliveryFailed, LastError: "webhook deleted"})
	case !d.WebhookEnabled:
		// Kept pending: the relay skips disabled webhooks, and re-enabling
		// one delivers what it missed.
		return DeliveryPending, uc.Deliveries.RecordAttempt(ctx, d.ID, AttemptRecord{},
			DeliveryOutcome{Status: DeliveryPending, NextAttemptAt: now, LastError: "webhook disabled"})
	}
	body, err := WebhookPayload(d.Event)
	if err != nil {
		return "", err
	}
	res := uc.Sender.Send(ctx, WebhookMessage{URL: d.URL, MessageID: d.Event.ID().String(), Secrets: d.Secrets, Body: body})
	a := AttemptRecord{Attempt: d.Attempts + 1, AttemptedAt: now, StatusCode: res.StatusCode, Duration: res.Duration,
		ResponseSnippet: res.ResponseSnippet}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	// The attempt happened: record it even if the task is being cancelled
	// (shutdown, timeout), or it would be repeated without a trace.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var status DeliveryStatus
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		o, disable, err := uc.decide(ctx, d, a, res)
		if err != nil {
			return err
		}
		status = o.Status
		if err := uc.Deliveries.RecordAttempt(ctx, d.ID, a, o); err != nil {
			return err
		}
		if disable == "" {
			return nil
		}
		return uc.disable(ctx, d, a, disable)
	})
	return status, err
}

// decide maps an attempt to the delivery's next state and, when the endpoint
// must be turned off, the reason.
func (uc DeliverWebhook) decide(ctx context.Context, d PendingDelivery, a AttemptRecord, res WebhookResult) (DeliveryOutcome, string, error) {
	switch res.Outcome {
	case WebhookDelivered:
		return DeliveryOutcome{Status: DeliveryDelivered}, "", nil
	case WebhookGone:
		return DeliveryOutcome{Status: DeliveryFailed, LastError: a.Error},
			"the receiver answered 410 Gone", nil
	}
	if a.Attempt < uc.maxAttempts() {
		return DeliveryOutcome{Status: DeliveryPending, LastError: a.Error,
			NextAttemptAt: a.AttemptedAt.Add(uc.backoff(a.Attempt))}, "", nil
	}
	first := d.FirstAttemptAt
	if first.IsZero() {
		first = a.AttemptedAt
	}
	delivered, err := uc.Deliveries.DeliveredSince(ctx, d.WebhookID, first)
	if err != nil || delivered {
		return DeliveryOutcome{Status: DeliveryFailed, LastError: a.Error}, "", err
	}
	reason := fmt.Sprintf("every delivery failed since %s (%d attempts of event %s)",
		first.UTC().Format(time.RFC3339), a.Attempt, d.Event.ID())
	return DeliveryOutcome{Status: DeliveryFailed, LastError: a.Error}, reason, nil
}

func (uc DeliverWebhook) disable(ctx context.Context, d PendingDelivery, a AttemptRecord, reason string) error {
	changed, err := uc.Deliveries.DisableWebhook(ctx, d.WebhookID, reason, a.AttemptedAt)
	if err != nil || !changed {
		return err
	}
	ev, err := audit.NewEvent(audit.EventParams{Type: audit.WebhookDisabled, Actor: audit.SystemActor(),
		TargetType: audit.TargetWebhook, TargetID: d.WebhookID, CreatedAt: a.AttemptedAt,
		Details: map[string]any{"reason": reason, "delivery_id": d.ID.String(), "audit_id": d.Event.ID().String(),
			"attempts": a.Attempt, "last_status_code": a.StatusCode, "last_error": a.Error}})
	if err != nil {
		return err
	}
	return uc.Audit.Append(ctx, ev)
}

func (uc DeliverWebhook) maxAttempts() int {
	if uc.MaxAttempts <= 0 {
		return DefaultMaxDeliveryAttempts
	}
	return uc.MaxAttempts
}

func (uc DeliverWebhook) backoff(attempt int) time.Duration {
	if uc.Backoff == nil {
		return time.Duration(attempt) * time.Minute
	}
	return uc.Backoff(attempt)
}

func (uc DeliverWebhook) lease() time.Duration {
	if uc.Lease <= 0 {
		return DefaultDeliveryLease
	}
	return uc.Lease
}

// webhookEvent is the JSON body of every webhook message: the audit event.
type webhookEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Actor     webhookActor    `json:"actor"`
	GroupID   *string         `json:"group_id"`
	Target    webhookTarget   `json:"target"`
	Details   json.RawMessage `json:"details"`
}

type webhookActor struct {
	Type      string  `json:"type"`
	ID        *string `json:"id"`
	ClientIP  string  `json:"client_ip,omitempty"`
	UserAgent string  `json:"user_agent,omitempty"`
}

type webhookTarget struct {
	Type string  `json:"type"`
	ID   *string `json:"id"`
}

// WebhookPayload renders the audit event as receivers get it:
// {"id", "type", "timestamp", "actor": {"type", "id"}, "group_id",
// "target": {"type", "id"}, "details"}; absent ids are null.
func WebhookPayload(e audit.Event) ([]byte, error) {
	a := e.Actor()
	return json.Marshal(webhookEvent{
		ID: e.ID().String(), Type: string(e.Type()), Timestamp: e.CreatedAt().UTC().Format(time.RFC3339Nano),
		Actor:   webhookActor{Type: string(a.Type), ID: optionalID(a.ID), ClientIP: a.ClientIP, UserAgent: a.UserAgent},
		GroupID: optionalID(e.GroupID()),
		Target:  webhookTarget{Type: e.TargetType(), ID: optionalID(e.TargetID())},
		Details: e.DetailsJSON(),
	})
}

func optionalID(id domain.ID) *string {
	if id.IsZero() {
		return nil
	}
	s := id.String()
	return &s
}
