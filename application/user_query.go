package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// GetUser reads one user.
type GetUser struct{ Users UserAccounts }

// Execute answers the user. Errors: not_found.
func (uc GetUser) Execute(ctx context.Context, id domain.ID) (_ user.User, err error) {
	ctx, obs := observe(ctx, "GetUser")
	defer obs.end(&err)
	return uc.Users.Get(ctx, id)
}

// ListUsers pages users.
type ListUsers struct{ Users UserAccounts }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListUsers) Execute(ctx context.Context, f UserFilter, page PageRequest) (_ Page[user.User], err error) {
	ctx, obs := observe(ctx, "ListUsers")
	defer obs.end(&err)
	return uc.Users.List(ctx, f, page)
}
