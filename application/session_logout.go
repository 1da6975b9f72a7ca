package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// Logout ends the caller's session server-side: the token stops working on
// every API instance at once, since sessions are read from PostgreSQL.
type Logout struct {
	Tx       Transactor
	Sessions SessionRepository
	Audit    AuditLog
	Clock    Clock
}

// Execute ends p's session.
func (uc Logout) Execute(ctx context.Context, p Principal) (err error) {
	ctx, obs := observe(ctx, "Logout")
	defer obs.end(&err)
	if p.SessionID.IsZero() {
		return domain.Invalid("API keys are revoked, not logged out", domain.FieldError{Field: "authorization",
			Message: "log out with a session token; revoke API keys with DELETE /api/v1/api-keys/{id}"})
	}
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Sessions.Revoke(ctx, p.SessionID, uc.Clock.Now()); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserLogout, Actor: p.Actor,
			TargetType: audit.TargetUser, TargetID: p.Actor.ID, Details: map[string]any{"session_id": p.SessionID.String()}})
	})
}
