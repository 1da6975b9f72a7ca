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
	var before, next user.User
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		admins, err := uc.lockAdmins(ctx, patch)
		if err != nil {
			return err
		}
		next, err = uc.Users.Update(ctx, id, func(current user.User) (user.User, error) {
			before = current
			after, err := current.WithChanges(patch)
			if err == nil && isActiveAdmin(current) && !isActiveAdmin(after) && admins <= 1 {
				err = errLastAdmin
			}
			return after, err
		})
		if err != nil {
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
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserUpdated, Actor: actor,
			TargetType: audit.TargetUser, TargetID: id, Details: details})
	})
	return next, err
}

// lockAdmins counts (and locks) the active admins when patch could demote
// or deactivate one. It runs before the user's own row is locked, so every
// path takes the admins' locks first, in id order, and two demotions of two
// admins cannot deadlock on each other's rows.
func (uc UpdateUser) lockAdmins(ctx context.Context, patch user.UserPatch) (int, error) {
	if patch.Role == nil && patch.IsActive == nil {
		return 0, nil
	}
	return uc.Users.CountActiveAdmins(ctx)
}

func isActiveAdmin(u user.User) bool { return u.IsActive() && u.Role() == user.RoleAdmin }

var errLastAdmin = domain.Conflict("this is the last active admin; make another admin first")

// guardLastAdmin refuses a change that would leave no active admin.
func guardLastAdmin(ctx context.Context, users UserAccounts) error {
	n, err := users.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return errLastAdmin
	}
	return nil
}
