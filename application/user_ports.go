package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// PasswordHasher hashes and verifies passwords (Argon2id in production).
// Verify compares in constant time; a malformed hash is an error, a wrong
// password is (false, nil).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(password, encoded string) (bool, error)
}

// UserRepository stores admin API users.
type UserRepository interface {
	// CountActive counts users that are not deleted.
	CountActive(ctx context.Context) (int, error)
	// Create inserts u. Errors: conflict when the email is taken.
	Create(ctx context.Context, u user.User) error
}

// UserAccounts is the user store the admin API manages users and logins with.
type UserAccounts interface {
	UserRepository
	// Get returns a user that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (user.User, error)
	// FindByEmail looks a user up by (lower-cased) email. Errors: not_found.
	FindByEmail(ctx context.Context, email string) (user.User, error)
	// Update changes the locked user. Errors: not_found, conflict (email taken).
	Update(ctx context.Context, id domain.ID, change func(current user.User) (user.User, error)) (user.User, error)
	// Delete soft-deletes the user. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages users ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f UserFilter, page PageRequest) (Page[user.User], error)
	// CountActiveAdmins counts active, not deleted admins, locking them so two
	// concurrent demotions cannot both leave one behind.
	CountActiveAdmins(ctx context.Context) (int, error)
}

// UserFilter narrows a user list; zero fields do not filter.
type UserFilter struct {
	Role     user.Role
	IsActive *bool
	Email    string
}
