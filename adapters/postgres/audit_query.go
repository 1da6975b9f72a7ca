package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
)

// AuditReader reads the audit log newest first.
type AuditReader struct{ db *bun.DB }

var _ application.AuditReader = (*AuditReader)(nil)

// NewAuditReader returns the reader on db.
func NewAuditReader(db *bun.DB) *AuditReader { return &AuditReader{db: db} }

// List pages events by (created_at, id) descending; each filter has an index
// that leads with its column and continues with created_at.
func (r *AuditReader) List(ctx context.Context, f application.AuditFilter, page application.PageRequest) (application.Page[audit.Event], error) {
	q := conn(ctx, r.db).NewSelect().Model((*auditRow)(nil)).
		ColumnExpr("id, event_type, actor_type, actor_id, group_id, target_type, target_id, details, host(client_ip) AS client_ip, user_agent, created_at")
	if f.EventType != "" {
		q = q.Where("event_type = ?", string(f.EventType))
	}
	if !f.ActorID.IsZero() {
		q = q.Where("actor_id = ?", uid(f.ActorID))
	}
	if !f.GroupID.IsZero() {
		q = q.Where("group_id = ?", uid(f.GroupID))
	}
	if f.TargetType != "" {
		q = q.Where("target_type = ?", f.TargetType)
	}
	if !f.TargetID.IsZero() {
		q = q.Where("target_id = ?", uid(f.TargetID))
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", f.Until)
	}
	return listNewestFirst(ctx, q, "created_at", "id", page, func(r *auditRow) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID },
		func(r *auditRow) (audit.Event, error) { return r.toDomain(), nil })
}

func (r *auditRow) toDomain() audit.Event {
	ip := ""
	if r.ClientIP != nil {
		ip = *r.ClientIP
	}
	return audit.RehydrateEvent(audit.EventParams{ID: did(r.ID), Type: audit.EventType(r.EventType),
		Actor:   audit.Actor{Type: audit.ActorType(r.ActorType), ID: did(r.ActorID), ClientIP: ip, UserAgent: r.UserAgent},
		GroupID: did(r.GroupID), TargetType: r.TargetType, TargetID: did(r.TargetID), Details: r.Details, CreatedAt: r.CreatedAt})
}
