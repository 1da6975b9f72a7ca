package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// AuditLog appends an audit event in the caller's transaction, together with
// one outbox row per enabled webhook subscribed to the event's type, so the
// event is recorded and queued for delivery exactly when the change commits.
// Errors: invalid for an event the database refuses, internal otherwise.
type AuditLog interface {
	Append(ctx context.Context, e audit.Event) error
}

// AuditReader reads the audit log.
type AuditReader interface {
	// List pages events newest first. Errors: invalid (cursor).
	List(ctx context.Context, f AuditFilter, page PageRequest) (Page[audit.Event], error)
}

// AuditFilter narrows the audit log; zero fields do not filter.
type AuditFilter struct {
	EventType  audit.EventType
	ActorID    domain.ID
	GroupID    domain.ID
	TargetType string
	TargetID   domain.ID
	Since      time.Time // inclusive
	Until      time.Time // exclusive
}
