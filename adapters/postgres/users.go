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

var _ application.UserAccounts = (*UserRepository)(nil)

// Get reads a user that is not deleted.
func (r *UserRepository) Get(ctx context.Context, id domain.ID) (user.User, error) {
	return getByID(ctx, r.db, id, "user", infallible((*userRow).toDomain))
}

// FindByEmail reads a user by email, case-insensitively (the unique index is
// on lower(email)).
func (r *UserRepository) FindByEmail(ctx context.Context, email string) (user.User, error) {
	var row userRow
	err := conn(ctx, r.db).NewSelect().Model(&row).Where("lower(email) = lower(?)", email).Scan(ctx)
	return row.toDomain(), translate(err, "user")
}

// Update changes the locked user with change (see updateByID).
func (r *UserRepository) Update(ctx context.Context, id domain.ID, change func(user.User) (user.User, error)) (user.User, error) {
	return updateByID(ctx, r.db, id, "user", infallible((*userRow).toDomain), change, r.store)
}

// store writes every column but created_at.
func (r *UserRepository) store(ctx context.Context, u user.User) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(userRowFrom(u)).ExcludeColumn("id", "created_at", "deleted_at").WherePK().Exec(ctx)
	return affectedOne(res, err, "user")
}

// Delete soft-deletes the user.
func (r *UserRepository) Delete(ctx context.Context, id domain.ID, at time.Time) error {
	return softDelete[userRow](ctx, conn(ctx, r.db), id, at, "user")
}

// List pages users by id.
func (r *UserRepository) List(ctx context.Context, f application.UserFilter, page application.PageRequest) (application.Page[user.User], error) {
	q := conn(ctx, r.db).NewSelect().Model((*userRow)(nil))
	if f.Role != "" {
		q = q.Where("role = ?", string(f.Role))
	}
	if f.IsActive != nil {
		q = q.Where("is_active = ?", *f.IsActive)
	}
	if f.Email != "" {
		q = q.Where("lower(email) = lower(?)", f.Email)
	}
	return listByID(ctx, q, "id", page, func(r *userRow) uuid.UUID { return r.ID }, infallible((*userRow).toDomain))
}

// CountActiveAdmins locks the active admins' rows and counts them, so two
// transactions demoting the last two admins serialise. The lock is the one
// updateByID takes, in id order, so every path locks admins the same way.
func (r *UserRepository) CountActiveAdmins(ctx context.Context) (int, error) {
	var ids []uuid.UUID
	err := conn(ctx, r.db).NewSelect().Model((*userRow)(nil)).Column("id").
		Where("role = ?", string(user.RoleAdmin)).Where("is_active").OrderExpr("id").For("NO KEY UPDATE").Scan(ctx, &ids)
	return len(ids), err
}
