// Package user holds the people who use the admin API, their roles and the
// password policy. Hashing passwords (Argon2id) is an adapter's job; the
// domain only carries the encoded hash.
package user

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/extguard/extguard/domain"
)

// Role decides what a user may do.
type Role string

const (
	RoleAdmin   Role = "admin"   // everything
	RoleEditor  Role = "editor"  // policy: groups, catalog, assignments, blocklist, agent keys
	RoleAuditor Role = "auditor" // read everything, including the audit log
	RoleViewer  Role = "viewer"  // read everything but the audit log and users
)

// ParseRole accepts the four roles.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleEditor, RoleAuditor, RoleViewer:
		return r, nil
	}
	return "", domain.Invalid("invalid role", domain.FieldError{Field: "role",
		Message: "must be admin, editor, auditor or viewer"})
}

// CanManageUsers: only admins create, change and delete users.
func (r Role) CanManageUsers() bool { return r == RoleAdmin }

// CanEditPolicy covers groups, catalog, assignments, blocklist and agent keys.
func (r Role) CanEditPolicy() bool { return r == RoleAdmin || r == RoleEditor }

// CanManageIntegrations: only admins point extguard's outbound streams
// (webhooks) somewhere, since what they carry leaves extguard's control.
func (r Role) CanManageIntegrations() bool { return r == RoleAdmin }

// CanDecommissionAgents: only admins take a machine out of the fleet.
func (r Role) CanDecommissionAgents() bool { return r == RoleAdmin }

// CanReadAuditLog: the audit log reveals who did what, so viewers are excluded.
func (r Role) CanReadAuditLog() bool { return r == RoleAdmin || r == RoleAuditor }

// CanReadUsers: viewers see policy and fleet, not the people administering it.
func (r Role) CanReadUsers() bool { return r != RoleViewer && r != "" }

// CanRead is any valid role.
func (r Role) CanRead() bool { return r != "" }

const (
	MaxEmailLength       = 254
	MaxDisplayNameLength = 255
	MinPasswordLength    = 12
	MaxPasswordLength    = 256
)

// ParseEmail accepts a bare address (no display name) and lower-cases it, so
// one mailbox cannot hold two accounts through case.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > MaxEmailLength || !strings.Contains(s, "@") {
		return "", domain.Invalid("invalid email", domain.FieldError{Field: "email",
			Message: "must be an email address like alice@example.com (at most 254 characters)"})
	}
	// net/mail accepts UTF-8 (RFC 6532), zero-width characters included,
	// which would let a look-alike of an existing account be created.
	var fe domain.FieldErrors
	fe.CheckText("email", s)
	if err := fe.Err("invalid email"); err != nil {
		return "", err
	}
	return strings.ToLower(s), nil
}

// ValidatePassword is the password policy: length is what matters, so no
// composition rules; the upper bound keeps hashing cheap to refuse.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if !utf8.ValidString(pw) || n < MinPasswordLength || n > MaxPasswordLength {
		return domain.Invalid("password too weak", domain.FieldError{Field: "password",
			Message: "must be 12 to 256 characters"})
	}
	return nil
}

// User is an admin API user.
type User struct {
	id           domain.ID
	email        string
	passwordHash string
	displayName  string
	role         Role
	isActive     bool
	lastLoginAt  time.Time
	createdAt    time.Time
	updatedAt    time.Time
}

// UserParams carries a users row. For NewUser a zero ID gets a fresh one, a
// CreatedAt is the caller's clock reading, and the user starts active.
type UserParams struct {
	ID           domain.ID
	Email        string
	PasswordHash string // encoded hash from the password hasher
	DisplayName  string
	Role         string
	IsActive     bool // used by RehydrateUser only
	LastLoginAt  time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewUser validates a new, active user.
func NewUser(p UserParams) (User, error) {
	var fe domain.FieldErrors
	u := User{id: p.ID, isActive: true, createdAt: p.CreatedAt.UTC(), updatedAt: p.UpdatedAt.UTC()}
	u.check(&fe, p)
	if err := fe.Err("invalid user"); err != nil {
		return User{}, err
	}
	if u.id.IsZero() {
		u.id = domain.NewID()
	}
	if u.updatedAt.IsZero() {
		u.updatedAt = u.createdAt
	}
	return u, nil
}

func (u *User) check(fe *domain.FieldErrors, p UserParams) {
	email, err := ParseEmail(p.Email)
	fe.Include("", err)
	u.email = email
	role, err := ParseRole(p.Role)
	fe.Include("", err)
	u.role = role
	u.displayName = fe.Text("display_name", p.DisplayName, 0, MaxDisplayNameLength)
	u.passwordHash = p.PasswordHash
	if p.PasswordHash == "" {
		fe.Add("password", "is required")
	}
}

// RehydrateUser rebuilds a stored user without validation.
func RehydrateUser(p UserParams) User {
	return User{id: p.ID, email: p.Email, passwordHash: p.PasswordHash, displayName: p.DisplayName,
		role: Role(p.Role), isActive: p.IsActive, lastLoginAt: p.LastLoginAt,
		createdAt: p.CreatedAt, updatedAt: p.UpdatedAt}
}

// UserPatch is a PATCH: nil fields stay. A new password is validated and
// hashed by the caller first. At is the update time, from the caller's clock.
type UserPatch struct {
	Email        *string
	DisplayName  *string
	Role         *string
	PasswordHash *string
	IsActive     *bool
	At           time.Time
}

// WithChanges applies a patch and re-validates the user.
func (u User) WithChanges(p UserPatch) (User, error) {
	params := u.params()
	setString(&params.Email, p.Email)
	setString(&params.DisplayName, p.DisplayName)
	setString(&params.Role, p.Role)
	setString(&params.PasswordHash, p.PasswordHash)
	var fe domain.FieldErrors
	next := u
	next.check(&fe, params)
	if err := fe.Err("invalid user"); err != nil {
		return User{}, err
	}
	if p.IsActive != nil {
		next.isActive = *p.IsActive
	}
	next.updatedAt = p.At.UTC()
	return next, nil
}

// Deactivate stops the user from logging in while keeping their history.
func (u User) Deactivate(at time.Time) User {
	u.isActive, u.updatedAt = false, at.UTC()
	return u
}

// RecordLogin notes a successful login.
func (u User) RecordLogin(at time.Time) User {
	u.lastLoginAt = at.UTC()
	return u
}

func (u User) params() UserParams {
	return UserParams{ID: u.id, Email: u.email, PasswordHash: u.passwordHash, DisplayName: u.displayName,
		Role: string(u.role), IsActive: u.isActive, LastLoginAt: u.lastLoginAt, CreatedAt: u.createdAt, UpdatedAt: u.updatedAt}
}

func setString(dst, src *string) {
	if src != nil {
		*dst = *src
	}
}

func (u User) ID() domain.ID          { return u.id }
func (u User) Email() string          { return u.email }
func (u User) PasswordHash() string   { return u.passwordHash }
func (u User) DisplayName() string    { return u.displayName }
func (u User) Role() Role             { return u.role }
func (u User) IsActive() bool         { return u.isActive }
func (u User) LastLoginAt() time.Time { return u.lastLoginAt }
func (u User) CreatedAt() time.Time   { return u.createdAt }
func (u User) UpdatedAt() time.Time   { return u.updatedAt }
