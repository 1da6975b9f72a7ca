package application_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// deliveriesInMemory is the DeliveryStore of one delivery.
type deliveriesInMemory struct {
	pending    *application.PendingDelivery // nil: nothing to claim
	attempts   []application.AttemptRecord
	outcomes   []application.DeliveryOutcome
	delivered  bool // a delivery to the webhook succeeded since the first attempt
	disabled   []string
	alreadyOff bool
}

func (s *deliveriesInMemory) Claim(context.Context, domain.ID, time.Time, time.Duration) (application.PendingDelivery, bool, error) {
	if s.pending == nil {
		return application.PendingDelivery{}, false, nil
	}
	return *s.pending, true, nil
}

func (s *deliveriesInMemory) RecordAttempt(_ context.Context, _ domain.ID, a application.AttemptRecord, o application.DeliveryOutcome) error {
	s.attempts, s.outcomes = append(s.attempts, a), append(s.outcomes, o)
	return nil
}

func (s *deliveriesInMemory) DeliveredSince(context.Context, domain.ID, time.Time) (bool, error) {
	return s.delivered, nil
}

func (s *deliveriesInMemory) DisableWebhook(_ context.Context, _ domain.ID, reason string, _ time.Time) (bool, error) {
	s.disabled = append(s.disabled, reason)
	return !s.alreadyOff, nil
}

// senderAnswering is the WebhookSender: every attempt gets outcome.
type senderAnswering struct {
	outcome application.WebhookOutcome
	sent    int
}

func (s *senderAnswering) Send(context.Context, application.WebhookMessage) application.WebhookResult {
	s.sent++
	if s.outcome == application.WebhookDelivered {
		return application.WebhookResult{StatusCode: 200, Outcome: s.outcome}
	}
	return application.WebhookResult{StatusCode: 503, Err: errors.New("503 Service Unavailable"), Outcome: s.outcome}
}

type deliverEnv struct {
	store  *deliveriesInMemory
	sender *senderAnswering
	events *eventsInMemory
	uc     application.DeliverWebhook
}

// newDeliverEnv has one enabled delivery with attempts made before, sent
// with outcome, giving up after three attempts.
func newDeliverEnv(t *testing.T, attempts int, outcome application.WebhookOutcome) deliverEnv {
	t.Helper()
	ev, err := audit.NewEvent(audit.EventParams{Type: audit.UserCreated, Actor: audit.SystemActor(), CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e := deliverEnv{store: &deliveriesInMemory{pending: &application.PendingDelivery{ID: domain.NewID(), WebhookID: domain.NewID(),
		Attempts: attempts, URL: "https://hooks.example.com", Secrets: []string{"whsec_x"}, WebhookEnabled: true, Event: ev,
		FirstAttemptAt: fixedClock{}.Now().Add(-time.Hour)}},
		sender: &senderAnswering{outcome: outcome}, events: &eventsInMemory{}}
	e.uc = application.DeliverWebhook{Tx: runInline{}, Deliveries: e.store, Sender: e.sender, Audit: e.events, Clock: fixedClock{},
		Backoff: func(n int) time.Duration { return time.Duration(n) * time.Hour }, MaxAttempts: 3}
	return e
}

func (e deliverEnv) run(t *testing.T) application.DeliveryStatus {
	t.Helper()
	status, err := e.uc.Execute(context.Background(), e.store.pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// A failed attempt below the limit stays pending, due after the backoff
// of its attempt number; a 2xx is delivered.
func TestDeliverWebhookRetriesWithBackoffUntilTheLimit(t *testing.T) {
	t.Parallel()
	env := newDeliverEnv(t, 1, application.WebhookRetry)
	if status := env.run(t); status != application.DeliveryPending {
		t.Fatalf("second failed attempt of three: %s, want pending", status)
	}
	a, o := env.store.attempts[0], env.store.outcomes[0]
	if a.Attempt != 2 || !o.NextAttemptAt.Equal(fixedClock{}.Now().Add(2*time.Hour)) || o.LastError == "" {
		t.Fatalf("attempt %d, next at %v, last error %q; want attempt 2 due after 2h with its error", a.Attempt, o.NextAttemptAt, o.LastError)
	}
	if len(env.store.disabled) != 0 {
		t.Fatal("a retry disabled the webhook")
	}
	if status := newDeliverEnv(t, 0, application.WebhookDelivered).run(t); status != application.DeliveryDelivered {
		t.Fatalf("2xx: %s, want delivered", status)
	}
}

// The last attempt fails the delivery; the webhook is disabled (audited by
// the system) only when nothing was delivered to it since this delivery's
// first attempt: one dead event does not switch off a healthy receiver.
// 410 Gone disables it at once.
func TestDeliverWebhookDisablesOnlyADeadReceiver(t *testing.T) {
	t.Parallel()
	dead := newDeliverEnv(t, 2, application.WebhookRetry)
	if status := dead.run(t); status != application.DeliveryFailed || len(dead.store.disabled) != 1 {
		t.Fatalf("last attempt to a dead receiver: %s, %d disables; want failed and disabled", status, len(dead.store.disabled))
	}
	rows := dead.events.ofType(audit.WebhookDisabled)
	if len(rows) != 1 || rows[0].Actor().Type != audit.ActorSystem || rows[0].Details()["attempts"] != 3 {
		t.Fatalf("audit %v, want one webhook.disabled row by the system after 3 attempts", dead.events.events)
	}

	healthy := newDeliverEnv(t, 2, application.WebhookRetry)
	healthy.store.delivered = true
	if status := healthy.run(t); status != application.DeliveryFailed || len(healthy.store.disabled) != 0 || len(healthy.events.events) != 0 {
		t.Fatalf("last attempt to a receiver that took others: %s, %d disables; want failed, left enabled", status, len(healthy.store.disabled))
	}

	gone := newDeliverEnv(t, 0, application.WebhookGone)
	if status := gone.run(t); status != application.DeliveryFailed || len(gone.store.disabled) != 1 {
		t.Fatalf("410 Gone: %s, %d disables; want failed and disabled", status, len(gone.store.disabled))
	}
	off := newDeliverEnv(t, 2, application.WebhookRetry)
	off.store.alreadyOff = true
	off.run(t)
	if len(off.events.events) != 0 {
		t.Fatal("disabling a webhook that was already off was audited again")
	}
}

// Nothing is sent for a deleted webhook (failed), a disabled one (kept
// pending for when it is re-enabled) or a delivery that is not claimable
// (a duplicate task).
func TestDeliverWebhookSendsNothingItShouldNot(t *testing.T) {
	t.Parallel()
	deleted := newDeliverEnv(t, 0, application.WebhookDelivered)
	deleted.store.pending.WebhookDeleted = true
	disabled := newDeliverEnv(t, 0, application.WebhookDelivered)
	disabled.store.pending.WebhookEnabled = false
	for want, env := range map[application.DeliveryStatus]deliverEnv{application.DeliveryFailed: deleted, application.DeliveryPending: disabled} {
		if status := env.run(t); status != want || env.sender.sent != 0 || env.store.attempts[0].Attempt != 0 {
			t.Fatalf("%s: %d sends, attempt %d; want %s with nothing sent or counted", status, env.sender.sent, env.store.attempts[0].Attempt, want)
		}
	}
	duplicate := newDeliverEnv(t, 0, application.WebhookDelivered)
	id := duplicate.store.pending.ID
	duplicate.store.pending = nil
	if status, err := duplicate.uc.Execute(context.Background(), id); err != nil || status != "" || duplicate.sender.sent != 0 {
		t.Fatalf("unclaimable delivery: %q, %v, %d sends; want nothing done", status, err, duplicate.sender.sent)
	}
}
