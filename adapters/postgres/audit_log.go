package postgres

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         uuid.UUID      `bun:"id,pk,type:uuid"`
	EventType  string         `bun:"event_type"`
	ActorType  string         `bun:"actor_type"`
	ActorID    uuid.UUID      `bun:"actor_id,type:uuid,nullzero"`
	GroupID    uuid.UUID      `bun:"group_id,type:uuid,nullzero"`
	TargetType string         `bun:"target_type"`
	TargetID   uuid.UUID      `bun:"target_id,type:uuid,nullzero"`
	Details    map[string]any `bun:"details,type:jsonb"`
	ClientIP   *string        `bun:"client_ip,type:inet"`
	UserAgent  string         `bun:"user_agent"`
	CreatedAt  time.Time      `bun:"created_at"`
}

// AuditLog writes audit rows and their webhook outbox rows.
type AuditLog struct{ db *bun.DB }

var _ application.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns the audit log on db.
func NewAuditLog(db *bun.DB) *AuditLog { return &AuditLog{db: db} }

// Append inserts the event and, in the same statement, one pending delivery
// per enabled webhook subscribed to its type (no event types = all events).
// Called inside the use case's transaction, the change, its audit row and its
// deliveries commit or vanish together. Each delivery keeps the traceparent
// of ctx, so the worker's span links back to this change.
func (a *AuditLog) Append(ctx context.Context, e audit.Event) error {
	if e.ID().IsZero() {
		// A zero Event means a caller ignored NewEvent's error; storing it
		// would record nothing useful under the nil id.
		return domain.Internal("audit event was not constructed with audit.NewEvent")
	}
	row := auditRowFrom(e)
	_, err := conn(ctx, a.db).NewRaw(`
WITH ev AS (
    INSERT INTO audit_log (id, event_type, actor_type, actor_id, group_id, target_type, target_id, details, client_ip, user_agent, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::inet, ?, ?)
    RETURNING id, event_type
)
INSERT INTO webhook_deliveries (webhook_id, audit_id, next_attempt_at, trace_parent)
SELECT w.id, ev.id, now(), ?
FROM ev JOIN webhooks w ON w.deleted_at IS NULL AND w.is_enabled
     AND (cardinality(w.event_types) = 0 OR ev.event_type = ANY (w.event_types))`,
		row.ID, row.EventType, row.ActorType, nullUUID(row.ActorID), nullUUID(row.GroupID), row.TargetType,
		nullUUID(row.TargetID), jsonb(e.DetailsJSON()), row.ClientIP, row.UserAgent, row.CreatedAt, traceParent(ctx),
	).Exec(ctx)
	return auditWriteError(translate(err, "audit event"))
}

// errAuditUnwritable is what a caller hears when its audit row could not be
// written: audit is fail-closed, so the request did nothing and may be
// retried. The cause stays in the error for the log, never in the answer.
var errAuditUnwritable = domain.Unavailable("the audit log cannot be written right now; nothing was done, try again")

// auditWriteError classifies a failed audit insert. Whatever the database
// said (a refused value, a trigger, a full disk), the change it would have
// recorded must not go through, and the caller is not at fault: 503. Errors
// that already have a class (and a client hanging up) keep theirs.
func auditWriteError(err error) error {
	if err == nil || domain.CodeOf(err) != domain.CodeInternal ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.Join(errAuditUnwritable, err)
}

func auditRowFrom(e audit.Event) auditRow {
	a := e.Actor()
	return auditRow{
		ID: uid(e.ID()), EventType: string(e.Type()), ActorType: string(a.Type), ActorID: uid(a.ID),
		GroupID: uid(e.GroupID()), TargetType: e.TargetType(), TargetID: uid(e.TargetID()),
		ClientIP: inetOrNil(a.ClientIP), UserAgent: a.UserAgent, CreatedAt: e.CreatedAt(),
	}
}

// inetOrNil keeps only a parseable address, so a garbled client IP can never
// make an audit insert (and the change it records) fail.
func inetOrNil(s string) *string {
	if _, err := netip.ParseAddr(s); err != nil {
		return nil
	}
	return &s
}

// nullUUID passes the nil UUID as SQL NULL.
func nullUUID(u uuid.UUID) any {
	if u == uuid.Nil {
		return nil
	}
	return u
}

// jsonb passes raw JSON as text for a jsonb parameter.
func jsonb(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}
