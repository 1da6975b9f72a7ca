package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// CreateUser adds an admin API user (admins only; the route table enforces it).
type CreateUser struct {
	Tx     Transactor
	Users  UserAccounts
	Hasher PasswordHasher
	Audit  AuditLog
	Clock  Clock
}

// NewUserInput is the POST body.
type NewUserInput struct {
	Email       string
	Password    string
	DisplayName string
	Role        string
}

// Execute creates the user. Errors: invalid (every bad field), conflict (email taken).
func (uc CreateUser) Execute(ctx context.Context, actor audit.Actor, in NewUserInput) (_ user.User, err error) {
	ctx, obs := observe(ctx, "CreateUser")
	defer obs.end(&err)
	var fe domain.FieldErrors
	pwErr := user.ValidatePassword(in.Password)
	fe.Include("", pwErr)
	hash := "unset"
	if pwErr == nil {
		h, err := uc.Hasher.Hash(in.Password)
		if err != nil {
			return user.User{}, err
		}
		hash = h
	}
	now := uc.Clock.Now()
	u, err := user.NewUser(user.UserParams{Email: in.Email, PasswordHash: hash, DisplayName: in.DisplayName,
		Role: in.Role, CreatedAt: now})
	fe.Include("", err)
	if err := fe.Err("invalid user"); err != nil {
		return user.User{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Users.Create(ctx, u); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserCreated, Actor: actor,
			TargetType: audit.TargetUser, TargetID: u.ID(),
			Details: map[string]any{"after": userDetails(u)}})
	})
	return u, err
}
