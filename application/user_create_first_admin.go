package application

import (
	"context"

	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// CreateFirstAdmin creates the first admin from the operator's configuration
// when no user exists yet, so a fresh install can be logged into. It does
// nothing once any user exists, and is safe to run on every start.
type CreateFirstAdmin struct {
	Tx     Transactor
	Users  UserRepository
	Hasher PasswordHasher
	Audit  AuditLog
	Clock  Clock
}

// Execute returns whether it created the admin.
func (uc CreateFirstAdmin) Execute(ctx context.Context, email, password string) (_ bool, err error) {
	ctx, obs := observe(ctx, "CreateFirstAdmin")
	defer obs.end(&err)
	if err := user.ValidatePassword(password); err != nil {
		return false, err
	}
	hash, err := uc.Hasher.Hash(password)
	if err != nil {
		return false, err
	}
	now := uc.Clock.Now()
	admin, err := user.NewUser(user.UserParams{Email: email, PasswordHash: hash, DisplayName: "Administrator",
		Role: string(user.RoleAdmin), CreatedAt: now})
	if err != nil {
		return false, err
	}
	created := false
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		n, err := uc.Users.CountActive(ctx)
		if err != nil || n > 0 {
			return err
		}
		if err := uc.Users.Create(ctx, admin); err != nil {
			return err
		}
		ev, err := audit.NewEvent(audit.EventParams{Type: audit.UserCreated, Actor: audit.SystemActor(),
			TargetType: audit.TargetUser, TargetID: admin.ID(), CreatedAt: now,
			Details: map[string]any{"email": admin.Email(), "role": string(admin.Role()), "reason": "first admin from EXTGUARD_ADMIN_EMAIL"}})
		if err != nil {
			return err
		}
		created = true
		return uc.Audit.Append(ctx, ev)
	})
	return created, err
}
