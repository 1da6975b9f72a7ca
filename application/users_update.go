package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// UpdateUser changes a user. A new password or deactivation ends the user's
// sessions; the last active admin cannot be demoted or deactivated, so the
// installation never locks itself out.
type UpdateUser struct {
	Tx       Transactor
	Users    UserAccounts
	Sessions SessionRepository
	Hasher   PasswordHasher
	Audit    AuditLog
	Clock    Clock
}

// UserChanges is the PATCH body: nil fields stay.
type UserChanges struct {
	Email       *string
	Password    *string
	DisplayName *string
	Role        *string
	IsActive    *bool
}

// Execute applies the changes. Errors: not_found, invalid, conflict (email
// taken, last admin).
func (uc UpdateUser) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in UserChanges) (_ user.User, err error) {
	ctx, obs := observe(ctx, "UpdateUser")
	defer obs.end(&err)
	patch := user.UserPatch{Email: in.Email, DisplayName: in.DisplayName, Role: in.Role, IsActive: in.IsActive, At: uc.Clock.Now()}
	if in.Password != nil {
		if err := user.ValidatePassword(*in.Password); err != nil {
			return user.User{}, err
		}
		h, err := uc.Hasher.Hash(*in.Password)
		if err != nil {
			return user.User{}, err
		}
		patch.PasswordHash = &h
	}
	var next user.User
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		before, err := uc.Users.Get(ctx, id)
		if err != nil {
			return err
		}
		if next, err = before.WithChanges(patch); err != nil {
			return err
		}
		if isActiveAdmin(before) && !isActiveAdmin(next) {
			if err := guardLastAdmin(ctx, uc.Users); err != nil {
				return err
			}
		}
		if err := uc.Users.Update(ctx, next); err != nil {
			return err
		}
		details := map[string]any{}
		changed(details, "email", before.Email(), next.Email())
		changed(details, "display_name", before.DisplayName(), next.DisplayName())
		changed(details, "role", string(before.Role()), string(next.Role()))
		changed(details, "is_active", before.IsActive(), next.IsActive())
		if patch.PasswordHash != nil {
			details["password"] = "changed"
		}
		if patch.PasswordHash != nil || !next.IsActive() {
			n, err := uc.Sessions.RevokeForUser(ctx, id, patch.At)
			if err != nil {
				return err
			}
			details["sessions_ended"] = n
		}
		return appendEvent(ctx, uc.Audit, audit.EventParams{Type: audit.UserUpdated, Actor: actor,
			TargetType: audit.TargetUser, TargetID: id, Details: details})
	})
	return next, err
}

func isActiveAdmin(u user.User) bool { return u.IsActive() && u.Role() == user.RoleAdmin }

// guardLastAdmin refuses a change that would leave no active admin.
func guardLastAdmin(ctx context.Context, users UserAccounts) error {
	n, err := users.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return domain.Conflict("this is the last active admin; make another admin first")
	}
	return nil
}
