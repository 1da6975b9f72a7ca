package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/user"
)

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	Email        string    `bun:"email"`
	PasswordHash string    `bun:"password_hash"`
	DisplayName  string    `bun:"display_name"`
	Role         string    `bun:"role"`
	IsActive     bool      `bun:"is_active"`
	LastLoginAt  time.Time `bun:"last_login_at,nullzero"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
	DeletedAt    time.Time `bun:"deleted_at,soft_delete,nullzero"`
}

func userRowFrom(u user.User) *userRow {
	return &userRow{ID: uid(u.ID()), Email: u.Email(), PasswordHash: u.PasswordHash(), DisplayName: u.DisplayName(),
		Role: string(u.Role()), IsActive: u.IsActive(), LastLoginAt: u.LastLoginAt(), CreatedAt: u.CreatedAt(), UpdatedAt: u.UpdatedAt()}
}

func (r *userRow) toDomain() user.User {
	return user.RehydrateUser(user.UserParams{ID: did(r.ID), Email: r.Email, PasswordHash: r.PasswordHash,
		DisplayName: r.DisplayName, Role: r.Role, IsActive: r.IsActive, LastLoginAt: r.LastLoginAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

// UserRepository stores users.
type UserRepository struct{ db *bun.DB }

var _ application.UserRepository = (*UserRepository)(nil)

// NewUserRepository returns the repository on db.
func NewUserRepository(db *bun.DB) *UserRepository { return &UserRepository{db: db} }

// CountActive counts users that are not deleted.
func (r *UserRepository) CountActive(ctx context.Context) (int, error) {
	n, err := conn(ctx, r.db).NewSelect().Model((*userRow)(nil)).Count(ctx)
	return int(n), err
}

// Create inserts u; a taken email is a conflict.
func (r *UserRepository) Create(ctx context.Context, u user.User) error {
	_, err := conn(ctx, r.db).NewInsert().Model(userRowFrom(u)).Exec(ctx)
	return translate(err, "user")
}
