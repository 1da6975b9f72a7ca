package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// ListAuditLog pages the audit log, newest first.
type ListAuditLog struct{ Audit AuditReader }

// Execute answers one page. Errors: invalid (cursor, since after until).
func (uc ListAuditLog) Execute(ctx context.Context, f AuditFilter, page PageRequest) (_ Page[audit.Event], err error) {
	ctx, obs := observe(ctx, "ListAuditLog")
	defer obs.end(&err)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return Page[audit.Event]{}, domain.Invalid("invalid time range", domain.FieldError{Field: "until", Message: "must be after since"})
	}
	return uc.Audit.List(ctx, f, page)
}
