package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

func TestSendTestWebhookQueuesOneDeliveryForThatWebhookOnly(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	target := fixtureWebhook(t, db, "https://a.example/h", true, "user.created")
	all := fixtureWebhook(t, db, "https://b.example/h", true, "webhook.test")
	disabled := fixtureWebhook(t, db, "https://c.example/h", false)
	uc := application.SendTestWebhook{Tx: postgres.NewTxRunner(db), Outbox: postgres.NewOutbox(db), Clock: application.SystemClock{}}
	actor := audit.Actor{Type: audit.ActorUser, ID: domain.NewID(), ClientIP: "192.0.2.1"}

	if err := uc.Execute(ctx, actor, target); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
		WHERE d.webhook_id = ? AND a.event_type = 'webhook.test' AND a.target_id = ?`, target.String(), target.String()); n != 1 {
		t.Errorf("%d test deliveries to the target, want 1", n)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?`, all.String()); n != 0 {
		t.Errorf("another webhook subscribed to webhook.test got %d deliveries", n)
	}
	if err := uc.Execute(ctx, actor, disabled); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("disabled webhook: %v, want conflict", err)
	}
	if err := uc.Execute(ctx, actor, domain.NewID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown webhook: %v, want not_found", err)
	}
}

func TestListWebhookDeliveriesPagesNewestFirstWithEveryAttempt(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	w := fixtureWebhook(t, db, "https://a.example/h", true, "webhook.test")
	outbox, deliveries := postgres.NewOutbox(db), postgres.NewDeliveries(db)
	send := application.SendTestWebhook{Tx: postgres.NewTxRunner(db), Outbox: outbox, Clock: application.SystemClock{}}
	for range 5 {
		if err := send.Execute(ctx, audit.SystemActor(), w); err != nil {
			t.Fatal(err)
		}
	}
	// Two attempts on the newest delivery.
	newest := domain.MustParseID(scanString(t, db, `SELECT id::text FROM webhook_deliveries WHERE webhook_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, w.String()))
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i, code := range []int{500, 200} {
		status := application.DeliveryPending
		if code == 200 {
			status = application.DeliveryDelivered
		}
		if err := deliveries.RecordAttempt(ctx, newest, application.AttemptRecord{Attempt: i + 1, AttemptedAt: at.Add(time.Duration(i) * time.Second),
			StatusCode: code, Duration: 12 * time.Millisecond}, application.DeliveryOutcome{Status: status, NextAttemptAt: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	list := application.ListWebhookDeliveries{Log: deliveries}
	var seen []application.DeliveryView
	cursor := ""
	for page := 0; ; page++ {
		got, err := list.Execute(ctx, w, application.PageRequest{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, got.Items...)
		if got.NextCursor == "" {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = got.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("%d deliveries over all pages, want 5", len(seen))
	}
	first := seen[0]
	if first.ID != newest || first.Status != application.DeliveryDelivered || first.Attempts != 2 ||
		len(first.AttemptLog) != 2 || first.AttemptLog[0].StatusCode != 500 || first.AttemptLog[1].StatusCode != 200 ||
		first.EventType != "webhook.test" || first.LastStatusCode != 200 || first.DeliveredAt.IsZero() {
		t.Errorf("newest delivery %+v", first)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].CreatedAt.After(seen[i-1].CreatedAt) || seen[i].ID == seen[i-1].ID {
			t.Errorf("not newest first or repeated at %d", i)
		}
	}
	if _, err := list.Execute(ctx, domain.NewID(), application.PageRequest{Limit: 10}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown webhook: %v", err)
	}
	if _, err := list.Execute(ctx, w, application.PageRequest{Limit: 10, Cursor: "garbage!"}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestOutboxLocksDueDeliveriesOfEnabledWebhooksOnce(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	w := fixtureWebhook(t, db, "https://a.example/h", true, "webhook.test")
	outbox := postgres.NewOutbox(db)
	tx := postgres.NewTxRunner(db)
	send := application.SendTestWebhook{Tx: tx, Outbox: outbox, Clock: application.SystemClock{}}
	if err := send.Execute(ctx, audit.SystemActor(), w); err != nil {
		t.Fatal(err)
	}
	mine := func(ids []domain.ID) int {
		n := 0
		for _, id := range ids {
			n += countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE id = ? AND webhook_id = ?`, id.String(), w.String())
		}
		return n
	}
	now := time.Now().UTC().Add(time.Second)
	err := tx.InTx(ctx, func(ctx context.Context) error {
		ids, err := outbox.LockDue(ctx, now, 1000)
		if err != nil {
			return err
		}
		if mine(ids) != 1 {
			t.Errorf("due: %d of mine, want 1", mine(ids))
		}
		// A second relay running meanwhile skips the locked rows.
		return tx.InTx(context.WithoutCancel(context.Background()), func(ctx context.Context) error {
			other, err := outbox.LockDue(ctx, now, 1000)
			if err != nil || mine(other) != 0 {
				t.Errorf("concurrent relay got %d of mine (%v)", mine(other), err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	id := domain.MustParseID(scanString(t, db, `SELECT id::text FROM webhook_deliveries WHERE webhook_id = ?`, w.String()))
	if err := outbox.MarkEnqueued(ctx, []domain.ID{id}, now); err != nil {
		t.Fatal(err)
	}
	ids, _ := outbox.LockDue(ctx, now, 1000)
	if mine(ids) != 0 {
		t.Error("an enqueued delivery is due again")
	}
	ids, _ = outbox.LockOverdue(ctx, now.Add(time.Minute), now.Add(time.Second), 1000)
	if mine(ids) != 1 {
		t.Error("an enqueued, still pending delivery is not overdue later")
	}
	if _, err := db.NewRaw(`UPDATE webhooks SET is_enabled = false WHERE id = ?`, w.String()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ids, _ = outbox.LockOverdue(ctx, now.Add(time.Minute), now.Add(time.Second), 1000)
	if mine(ids) != 0 {
		t.Error("a disabled webhook's delivery is relayed")
	}
}
