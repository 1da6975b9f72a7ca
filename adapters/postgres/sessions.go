package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	UserID    uuid.UUID `bun:"user_id,type:uuid"`
	TokenHash string    `bun:"token_hash"`
	ClientIP  *string   `bun:"client_ip,type:inet"`
	UserAgent string    `bun:"user_agent"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
	RevokedAt time.Time `bun:"revoked_at,nullzero"`
}

// SessionRepository stores admin sessions (token hashes only).
type SessionRepository struct{ db *bun.DB }

var _ application.SessionRepository = (*SessionRepository)(nil)

// NewSessionRepository returns the repository on db.
func NewSessionRepository(db *bun.DB) *SessionRepository { return &SessionRepository{db: db} }

// Create stores s.
func (r *SessionRepository) Create(ctx context.Context, s application.Session) error {
	_, err := conn(ctx, r.db).NewInsert().Model(&sessionRow{ID: uid(s.ID), UserID: uid(s.UserID), TokenHash: s.TokenHash,
		ClientIP: inetOrNil(s.ClientIP), UserAgent: truncateUTF8(s.UserAgent, 1024), CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}).Exec(ctx)
	return translate(err, "session")
}

// FindActive reads a live session and its user in one indexed query: the
// user's is_active and deleted_at are checked on every request.
func (r *SessionRepository) FindActive(ctx context.Context, tokenHash string, now time.Time) (application.Session, user.User, error) {
	var row struct {
		SessionID uuid.UUID `bun:"session_id"`
		CreatedAt time.Time `bun:"session_created_at"`
		ExpiresAt time.Time `bun:"session_expires_at"`
		userRow
	}
	err := conn(ctx, r.db).NewSelect().
		ColumnExpr("s.id AS session_id, s.created_at AS session_created_at, s.expires_at AS session_expires_at, u.*").
		TableExpr("sessions AS s").
		Join("JOIN users AS u ON u.id = s.user_id AND u.deleted_at IS NULL AND u.is_active").
		Where("s.token_hash = ?", tokenHash).Where("s.revoked_at IS NULL").Where("s.expires_at > ?", now).
		Scan(ctx, &row)
	if err != nil {
		return application.Session{}, user.User{}, translate(err, "session")
	}
	s := application.Session{ID: did(row.SessionID), UserID: did(row.userRow.ID), TokenHash: tokenHash,
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt}
	return s, row.userRow.toDomain(), nil
}

// Revoke ends one live session.
func (r *SessionRepository) Revoke(ctx context.Context, id domain.ID, at time.Time) error {
	res, err := conn(ctx, r.db).NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", at).
		Where("id = ?", uid(id)).Where("revoked_at IS NULL").Exec(ctx)
	return affectedOne(res, err, "session")
}

// RevokeForUser ends every live session of a user.
func (r *SessionRepository) RevokeForUser(ctx context.Context, userID domain.ID, at time.Time) (int, error) {
	res, err := conn(ctx, r.db).NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", at).
		Where("user_id = ?", uid(userID)).Where("revoked_at IS NULL").Where("expires_at > ?", at).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// truncateUTF8 bounds client-supplied text without splitting a character.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && s[max]&0xC0 == 0x80 {
		max--
	}
	return s[:max]
}
