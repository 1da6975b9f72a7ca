// Package application holds the use cases, one file per command or query,
// and the ports they need. It imports the domain only; adapters implement the
// ports and cmd wires them together.
package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/user"
)

// Transactor runs fn in one database transaction; repositories called with
// the ctx it passes join that transaction. Errors: whatever fn returns, or
// unavailable when the database cannot be reached.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// AuditLog appends an audit event in the caller's transaction, together with
// one outbox row per enabled webhook subscribed to the event's type, so the
// event is recorded and queued for delivery exactly when the change commits.
// Errors: invalid for an event the database refuses, internal otherwise.
type AuditLog interface {
	Append(ctx context.Context, e audit.Event) error
}

// Clock tells the time; tests pin it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock in UTC, at the precision timestamps are
// stored with (domain.Precision).
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return domain.Now() }

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

// PolicyInputs reads everything a group's compiled policy depends on: its
// settings, its assignments with their catalog entries, the active blocklist
// and the catalog entries blocked everywhere. Errors: not_found for an
// unknown or deleted group.
type PolicyInputs interface {
	Load(ctx context.Context, groupID domain.ID) (policy.CompileInput, error)
}

// PolicyInvalidator tells every API instance that compiled policies changed.
// Use cases call it after their transaction commits (never inside it: an
// instance that recompiled before the commit would cache the old policy).
// Errors are logged by the adapter and not returned as failures of the
// change: the change is committed; caches also expire on their own.
type PolicyInvalidator interface {
	// GroupChanged: the group's settings or assignments changed.
	GroupChanged(ctx context.Context, groupID domain.ID)
	// AllGroupsChanged: the catalog or the blocklist changed, which every
	// group's policy may depend on.
	AllGroupsChanged(ctx context.Context)
}
