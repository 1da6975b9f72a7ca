package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteUser soft-deletes a user and ends their sessions; their audit
// history stays. The last active admin cannot be deleted.
type DeleteUser struct {
	Tx       Transactor
	Users    UserAccounts
	Sessions SessionRepository
	Audit    AuditLog
	Clock    Clock
}

// Execute deletes the user. Errors: not_found (also when already deleted), conflict.
func (uc DeleteUser) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteUser")
	defer obs.end(&err)
	now := uc.Clock.Now()
	return uc.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := uc.Users.Get(ctx, id)
		if err != nil {
			return err
		}
		if isActiveAdmin(u) {
			if err := guardLastAdmin(ctx, uc.Users); err != nil {
				return err
			}
		}
		if err := uc.Users.Delete(ctx, id, now); err != nil {
			return err
		}
		n, err := uc.Sessions.RevokeForUser(ctx, id, now)
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserDeleted, Actor: actor,
			TargetType: audit.TargetUser, TargetID: id, Details: map[string]any{"before": userDetails(u), "sessions_ended": n}})
	})
}
