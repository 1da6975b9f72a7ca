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

// subscribedWebhooks is the subscription rule of the outbox, the same as
// AuditLog.Append's: enabled, live webhooks whose event_types is empty (all
// events) or names the event. ev is the joined row with an event_type column.
const subscribedWebhooks = `webhooks w ON w.deleted_at IS NULL AND w.is_enabled
     AND (cardinality(w.event_types) = 0 OR ev.event_type = ANY (w.event_types))`

// sqlUUIDv7 makes a UUIDv7 in SQL (PostgreSQL 15 has no uuidv7()): the
// first 48 bits of a random UUID replaced by Unix milliseconds, the version
// nibble set to 7. Set-based audit inserts use it so audit ids stay
// time-ordered like those NewID makes.
const sqlUUIDv7 = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
    FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`

// Outbox is the relay's side of webhook_deliveries.
type Outbox struct{ db *bun.DB }

var _ application.Outbox = (*Outbox)(nil)

// NewOutbox returns the outbox on db.
func NewOutbox(db *bun.DB) *Outbox { return &Outbox{db: db} }

// LockDue: see application.Outbox. The pending index (next_attempt_at WHERE
// status = 'pending') drives the scan.
func (o *Outbox) LockDue(ctx context.Context, now time.Time, limit int) ([]domain.ID, error) {
	return o.lock(ctx, `
SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.enqueued_at IS NULL
  AND (w.is_enabled OR w.deleted_at IS NOT NULL)
ORDER BY d.next_attempt_at
LIMIT ?
FOR UPDATE OF d SKIP LOCKED`, now, limit)
}

// LockOverdue: see application.Outbox.
func (o *Outbox) LockOverdue(ctx context.Context, now, enqueuedBefore time.Time, limit int) ([]domain.ID, error) {
	return o.lock(ctx, `
SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.enqueued_at < ?
  AND (w.is_enabled OR w.deleted_at IS NOT NULL)
ORDER BY d.next_attempt_at
LIMIT ?
FOR UPDATE OF d SKIP LOCKED`, now, enqueuedBefore, limit)
}

func (o *Outbox) lock(ctx context.Context, query string, args ...any) ([]domain.ID, error) {
	var ids []uuid.UUID
	if err := conn(ctx, o.db).NewRaw(query, args...).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := make([]domain.ID, len(ids))
	for i, id := range ids {
		out[i] = did(id)
	}
	return out, nil
}

// MarkEnqueued: see application.Outbox.
func (o *Outbox) MarkEnqueued(ctx context.Context, ids []domain.ID, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := conn(ctx, o.db).NewRaw(`UPDATE webhook_deliveries SET enqueued_at = ? WHERE id IN (?)`,
		now, bun.In(uuids(ids))).Exec(ctx)
	return err
}

// AppendTo: see application.Outbox. The webhook row is locked so a
// concurrent disable or delete cannot slip between the check and the insert.
func (o *Outbox) AppendTo(ctx context.Context, e audit.Event, webhookID domain.ID) error {
	if e.ID().IsZero() {
		return domain.Internal("audit event was not constructed with audit.NewEvent")
	}
	db := conn(ctx, o.db)
	var w webhookRow
	err := db.NewSelect().Model(&w).Column("id", "is_enabled").Where("id = ?", uid(webhookID)).For("UPDATE").Scan(ctx)
	if err != nil {
		return translate(err, "webhook")
	}
	if !w.IsEnabled {
		return domain.Conflict("webhook is disabled; enable it before sending a test event")
	}
	row := auditRowFrom(e)
	_, err = db.NewRaw(`
WITH ev AS (
    INSERT INTO audit_log (id, event_type, actor_type, actor_id, group_id, target_type, target_id, details, client_ip, user_agent, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::inet, ?, ?)
    RETURNING id
)
INSERT INTO webhook_deliveries (webhook_id, audit_id, next_attempt_at, trace_parent)
SELECT ?, ev.id, now(), ? FROM ev`,
		row.ID, row.EventType, row.ActorType, nullUUID(row.ActorID), nullUUID(row.GroupID), row.TargetType,
		nullUUID(row.TargetID), jsonb(e.DetailsJSON()), row.ClientIP, row.UserAgent, row.CreatedAt, uid(webhookID), traceParent(ctx),
	).Exec(ctx)
	return translate(err, "audit event")
}

func uuids(ids []domain.ID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = uid(id)
	}
	return out
}
