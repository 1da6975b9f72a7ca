package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// Session is one admin login. Only the SHA-256 of its token is stored.
type Session struct {
	ID        domain.ID
	UserID    domain.ID
	TokenHash string
	ClientIP  string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionRepository stores admin sessions in PostgreSQL, so admins keep
// working while Redis is down.
type SessionRepository interface {
	// Create stores s. Errors: conflict on a (vanishingly unlikely) hash clash.
	Create(ctx context.Context, s Session) error
	// FindActive returns the session with tokenHash and its user when the
	// session is neither revoked nor expired at now and the user is active and
	// not deleted: a deactivated user loses access on the next request.
	// Errors: not_found otherwise.
	FindActive(ctx context.Context, tokenHash string, now time.Time) (Session, user.User, error)
	// Revoke ends one session. Errors: not_found when already ended.
	Revoke(ctx context.Context, id domain.ID, at time.Time) error
	// RevokeForUser ends every session of a user (deactivation, deletion,
	// password change) and says how many it ended.
	RevokeForUser(ctx context.Context, userID domain.ID, at time.Time) (int, error)
}

// LoginLimiter counts failed logins per subject in fixed windows shared by
// every instance: Reached asks whether subject has reached limit (and how
// long until its window ends) without counting, Count counts one failure.
// It does not fail open: while the shared store is down each instance
// limits with its own counts, so an outage never lifts the login limits.
type LoginLimiter interface {
	Reached(ctx context.Context, subject RateSubject, limit int, window time.Duration) (reached bool, retryAfter time.Duration)
	Count(ctx context.Context, subject RateSubject, limit int, window time.Duration)
}
