package application

import (
	"context"
	"strconv"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// Page sizes of every admin list.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// PageRequest asks for one page of a keyset-paginated list. Cursor is
// opaque: it is what the previous page answered as NextCursor.
type PageRequest struct {
	Limit  int
	Cursor string
}

// NewPageRequest validates a page request; limit 0 means the default.
func NewPageRequest(limit int, cursor string) (PageRequest, error) {
	if limit == 0 {
		limit = DefaultPageLimit
	}
	if limit < 1 || limit > MaxPageLimit {
		return PageRequest{}, domain.Invalid("invalid page", domain.FieldError{Field: "limit",
			Message: "must be between 1 and " + strconv.Itoa(MaxPageLimit)})
	}
	if len(cursor) > 1024 {
		return PageRequest{}, domain.Invalid("invalid page", domain.FieldError{Field: "cursor", Message: "is not a cursor this list produced"})
	}
	return PageRequest{Limit: limit, Cursor: cursor}, nil
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// Principal is who calls the admin API: a user through a session, or an
// admin-scoped API key acting for automation.
type Principal struct {
	Actor     audit.Actor // Type and ID; the handler adds client IP and user agent
	Role      user.Role
	SessionID domain.ID // NilID for API keys
}

// appendEvent builds an audit event and appends it in ctx's transaction,
// timed by clock unless p says when it happened.
func appendEvent(ctx context.Context, log AuditLog, clock Clock, p audit.EventParams) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = clock.Now()
	}
	ev, err := audit.NewEvent(p)
	if err != nil {
		return err
	}
	return log.Append(ctx, ev)
}

// notifyGroups tells the policy caches which groups changed, after commit.
func notifyGroups(ctx context.Context, inv PolicyInvalidator, groups ...domain.ID) {
	if inv == nil {
		return
	}
	for _, g := range groups {
		inv.GroupChanged(ctx, g)
	}
}

// notifyAllGroups tells the policy caches that every group may have changed.
func notifyAllGroups(ctx context.Context, inv PolicyInvalidator) {
	if inv != nil {
		inv.AllGroupsChanged(ctx)
	}
}

// changed records a field's before and after for an audit row's details,
// only when it changed.
func changed(details map[string]any, field string, before, after any) {
	if before != after {
		details[field] = map[string]any{"before": before, "after": after}
	}
}
