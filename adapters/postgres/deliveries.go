package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// Deliveries is the delivery worker's and the admin API's side of
// webhook_deliveries and webhook_attempts.
type Deliveries struct{ db *bun.DB }

var (
	_ application.DeliveryStore = (*Deliveries)(nil)
	_ application.DeliveryLog   = (*Deliveries)(nil)
)

// NewDeliveries returns the deliveries repository on db.
func NewDeliveries(db *bun.DB) *Deliveries { return &Deliveries{db: db} }

type claimedRow struct {
	ID             uuid.UUID `bun:"id"`
	WebhookID      uuid.UUID `bun:"webhook_id"`
	Attempts       int       `bun:"attempts"`
	AuditID        uuid.UUID `bun:"audit_id"`
	FirstAttemptAt time.Time `bun:"first_attempt_at,nullzero"`
}

// Claim: see application.DeliveryStore. The claim is one conditional UPDATE,
// so two tasks for the same delivery cannot both win it.
func (d *Deliveries) Claim(ctx context.Context, id domain.ID, now time.Time, lease time.Duration) (application.PendingDelivery, bool, error) {
	db := conn(ctx, d.db)
	var c claimedRow
	err := db.NewRaw(`
UPDATE webhook_deliveries SET next_attempt_at = ?
WHERE id = ? AND status = 'pending' AND next_attempt_at <= ?
RETURNING id, webhook_id, attempts, audit_id,
    (SELECT min(attempted_at) FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id) AS first_attempt_at`,
		now.Add(lease), uid(id), now).Scan(ctx, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return application.PendingDelivery{}, false, nil
	}
	if err != nil {
		return application.PendingDelivery{}, false, err
	}
	var w webhookRow
	if err := db.NewSelect().Model(&w).WhereAllWithDeleted().Where("id = ?", c.WebhookID).Scan(ctx); err != nil {
		return application.PendingDelivery{}, false, translate(err, "webhook")
	}
	ev, err := loadAuditEvent(ctx, db, c.AuditID)
	if err != nil {
		return application.PendingDelivery{}, false, err
	}
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && (w.PreviousSecretExpires.IsZero() || w.PreviousSecretExpires.After(now)) {
		secrets = append(secrets, w.PreviousSecret)
	}
	return application.PendingDelivery{
		ID: did(c.ID), WebhookID: did(c.WebhookID), Attempts: c.Attempts, URL: w.URL, Secrets: secrets,
		WebhookEnabled: w.IsEnabled, WebhookDeleted: !w.DeletedAt.IsZero(), Event: ev,
		FirstAttemptAt: c.FirstAttemptAt,
	}, true, nil
}

// auditReadRow reads audit_log; client_ip comes back as text.
type auditReadRow struct {
	ID         uuid.UUID      `bun:"id"`
	EventType  string         `bun:"event_type"`
	ActorType  string         `bun:"actor_type"`
	ActorID    uuid.UUID      `bun:"actor_id,nullzero"`
	GroupID    uuid.UUID      `bun:"group_id,nullzero"`
	TargetType string         `bun:"target_type"`
	TargetID   uuid.UUID      `bun:"target_id,nullzero"`
	Details    map[string]any `bun:"details,type:jsonb"`
	ClientIP   string         `bun:"client_ip,nullzero"`
	UserAgent  string         `bun:"user_agent"`
	CreatedAt  time.Time      `bun:"created_at"`
}

func loadAuditEvent(ctx context.Context, db bun.IDB, id uuid.UUID) (audit.Event, error) {
	var r auditReadRow
	err := db.NewRaw(`SELECT id, event_type, actor_type, actor_id, group_id, target_type, target_id, details,
    host(client_ip) AS client_ip, user_agent, created_at FROM audit_log WHERE id = ?`, id).Scan(ctx, &r)
	if err != nil {
		return audit.Event{}, translate(err, "audit event")
	}
	return audit.RehydrateEvent(audit.EventParams{
		ID: did(r.ID), Type: audit.EventType(r.EventType),
		Actor:   audit.Actor{Type: audit.ActorType(r.ActorType), ID: did(r.ActorID), ClientIP: r.ClientIP, UserAgent: r.UserAgent},
		GroupID: did(r.GroupID), TargetType: r.TargetType, TargetID: did(r.TargetID), Details: r.Details,
		CreatedAt: r.CreatedAt.UTC(),
	}), nil
}

// RecordAttempt: see application.DeliveryStore.
func (d *Deliveries) RecordAttempt(ctx context.Context, id domain.ID, a application.AttemptRecord, o application.DeliveryOutcome) error {
	db := conn(ctx, d.db)
	if a.Attempt > 0 {
		_, err := db.NewRaw(`
INSERT INTO webhook_attempts (id, delivery_id, attempt, attempted_at, status_code, duration_ms, error, response_snippet)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			uid(domain.NewID()), uid(id), a.Attempt, a.AttemptedAt, nullInt(a.StatusCode),
			int(a.Duration.Milliseconds()), a.Error, a.ResponseSnippet).Exec(ctx)
		if err != nil {
			return err
		}
	}
	next := o.NextAttemptAt
	if next.IsZero() {
		next = a.AttemptedAt
	}
	q := db.NewRaw(`
UPDATE webhook_deliveries SET
    status = ?, next_attempt_at = ?, enqueued_at = NULL, last_error = ?,
    attempts = CASE WHEN ? > 0 THEN ? ELSE attempts END,
    last_attempt_at = CASE WHEN ? > 0 THEN ?::timestamptz ELSE last_attempt_at END,
    last_status_code = CASE WHEN ? > 0 THEN ?::integer ELSE last_status_code END,
    delivered_at = CASE WHEN ? = 'delivered' THEN ?::timestamptz ELSE delivered_at END
WHERE id = ?`,
		string(o.Status), next, o.LastError,
		a.Attempt, a.Attempt,
		a.Attempt, a.AttemptedAt,
		a.Attempt, nullInt(a.StatusCode),
		string(o.Status), a.AttemptedAt,
		uid(id))
	res, err := q.Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("webhook delivery not found")
	}
	return nil
}

// DeliveredSince: see application.DeliveryStore.
func (d *Deliveries) DeliveredSince(ctx context.Context, webhookID domain.ID, since time.Time) (bool, error) {
	var ok bool
	err := conn(ctx, d.db).NewRaw(`SELECT EXISTS (SELECT 1 FROM webhook_deliveries
WHERE webhook_id = ? AND status = 'delivered' AND delivered_at >= ?)`, uid(webhookID), since).Scan(ctx, &ok)
	return ok, err
}

// DisableWebhook: see application.DeliveryStore.
func (d *Deliveries) DisableWebhook(ctx context.Context, webhookID domain.ID, reason string, now time.Time) (bool, error) {
	res, err := conn(ctx, d.db).NewRaw(`UPDATE webhooks SET is_enabled = false, disabled_reason = ?, updated_at = ?
WHERE id = ? AND is_enabled AND deleted_at IS NULL`, reason, now, uid(webhookID)).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// WebhookExists: see application.DeliveryLog.
func (d *Deliveries) WebhookExists(ctx context.Context, webhookID domain.ID) error {
	n, err := conn(ctx, d.db).NewSelect().Model((*webhookRow)(nil)).Where("id = ?", uid(webhookID)).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.NotFound("webhook not found")
	}
	return nil
}

type deliveryListRow struct {
	ID             uuid.UUID `bun:"id"`
	WebhookID      uuid.UUID `bun:"webhook_id"`
	AuditID        uuid.UUID `bun:"audit_id"`
	EventType      string    `bun:"event_type"`
	Status         string    `bun:"status"`
	Attempts       int       `bun:"attempts"`
	NextAttemptAt  time.Time `bun:"next_attempt_at"`
	LastAttemptAt  time.Time `bun:"last_attempt_at,nullzero"`
	LastStatusCode int       `bun:"last_status_code,nullzero"`
	LastError      string    `bun:"last_error"`
	DeliveredAt    time.Time `bun:"delivered_at,nullzero"`
	CreatedAt      time.Time `bun:"created_at"`
}

type attemptRow struct {
	DeliveryID      uuid.UUID `bun:"delivery_id"`
	Attempt         int       `bun:"attempt"`
	AttemptedAt     time.Time `bun:"attempted_at"`
	StatusCode      int       `bun:"status_code,nullzero"`
	DurationMS      int       `bun:"duration_ms"`
	Error           string    `bun:"error"`
	ResponseSnippet string    `bun:"response_snippet"`
}

// ListDeliveries: see application.DeliveryLog. Two queries: the page by the
// (webhook_id, created_at DESC) index, then the page's attempts.
func (d *Deliveries) ListDeliveries(ctx context.Context, webhookID domain.ID, page application.PageRequest) (application.Page[application.DeliveryView], error) {
	db := conn(ctx, d.db)
	q := db.NewSelect().TableExpr("webhook_deliveries AS d").
		Join("JOIN audit_log AS ev ON ev.id = d.audit_id").
		ColumnExpr("d.id, d.webhook_id, d.audit_id, ev.event_type, d.status, d.attempts, d.next_attempt_at").
		ColumnExpr("d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at").
		Where("d.webhook_id = ?", uid(webhookID))
	listed, err := listNewestFirst(ctx, q, "d.created_at", "d.id", page,
		func(r *deliveryListRow) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID },
		func(r *deliveryListRow) (deliveryListRow, error) { return *r, nil })
	if err != nil {
		return application.Page[application.DeliveryView]{}, err
	}
	views, err := d.withAttempts(ctx, listed.Items)
	return application.Page[application.DeliveryView]{Items: views, NextCursor: listed.NextCursor}, err
}

// withAttempts reads the attempts of rows in one query.
func (d *Deliveries) withAttempts(ctx context.Context, rows []deliveryListRow) ([]application.DeliveryView, error) {
	db := conn(ctx, d.db)
	if len(rows) == 0 {
		return []application.DeliveryView{}, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var attempts []attemptRow
	err := db.NewSelect().TableExpr("webhook_attempts").
		Column("delivery_id", "attempt", "attempted_at", "status_code", "duration_ms", "error", "response_snippet").
		Where("delivery_id IN (?)", bun.In(ids)).OrderExpr("delivery_id, attempt, attempted_at").Scan(ctx, &attempts)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	byDelivery := map[uuid.UUID][]application.AttemptView{}
	for _, a := range attempts {
		byDelivery[a.DeliveryID] = append(byDelivery[a.DeliveryID], application.AttemptView{
			Attempt: a.Attempt, AttemptedAt: a.AttemptedAt.UTC(), StatusCode: a.StatusCode, DurationMS: a.DurationMS,
			Error: a.Error, ResponseSnippet: a.ResponseSnippet})
	}
	out := make([]application.DeliveryView, len(rows))
	for i, r := range rows {
		out[i] = application.DeliveryView{
			ID: did(r.ID), WebhookID: did(r.WebhookID), AuditID: did(r.AuditID), EventType: r.EventType,
			Status: application.DeliveryStatus(r.Status), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(),
			LastAttemptAt: r.LastAttemptAt.UTC(), LastStatusCode: r.LastStatusCode, LastError: r.LastError,
			DeliveredAt: r.DeliveredAt.UTC(), CreatedAt: r.CreatedAt.UTC(), AttemptLog: byDelivery[r.ID],
		}
	}
	return out, nil
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
