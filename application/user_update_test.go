package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

type userUpdateEnv struct {
	users    *usersInMemory
	sessions *sessionsInMemory
	events   *eventsInMemory
	uc       application.UpdateUser
}

func newUserUpdateEnv(us ...user.User) userUpdateEnv {
	e := userUpdateEnv{users: newUsers(us...), sessions: &sessionsInMemory{}, events: &eventsInMemory{}}
	e.uc = application.UpdateUser{Tx: runInline{}, Users: e.users, Sessions: e.sessions, Hasher: &plainHasher{},
		Audit: e.events, Clock: fixedClock{}}
	return e
}

// The last active admin can be neither demoted nor deactivated; with a
// second admin both are allowed. A refusal is a conflict that stores
// nothing and audits nothing.
func TestUpdateUserKeepsTheLastActiveAdmin(t *testing.T) {
	t.Parallel()
	demote := application.UserChanges{Role: ptr(string(user.RoleEditor))}
	deactivate := application.UserChanges{IsActive: ptr(false)}
	for name, change := range map[string]application.UserChanges{"demote": demote, "deactivate": deactivate} {
		admin := newUser(t, "admin@example.com", user.RoleAdmin)
		env := newUserUpdateEnv(admin, newUser(t, "editor@example.com", user.RoleEditor))
		_, err := env.uc.Execute(context.Background(), someAdmin, admin.ID(), change)
		if domain.CodeOf(err) != domain.CodeConflict {
			t.Fatalf("%s the last admin: %v, want conflict", name, err)
		}
		if env.users.writes != 0 || len(env.events.events) != 0 {
			t.Fatalf("%s the last admin was refused yet wrote %d rows and %d audit rows", name, env.users.writes, len(env.events.events))
		}

		other := newUser(t, "other@example.com", user.RoleAdmin)
		env = newUserUpdateEnv(admin, other)
		if _, err := env.uc.Execute(context.Background(), someAdmin, admin.ID(), change); err != nil {
			t.Fatalf("%s one of two admins: %v", name, err)
		}
		if n, _ := env.users.CountActiveAdmins(context.Background()); n != 1 {
			t.Fatalf("%s one of two admins left %d active admins, want 1", name, n)
		}
		if len(env.events.ofType(audit.UserUpdated)) != 1 {
			t.Fatalf("%s one of two admins: %d user.updated rows, want 1", name, len(env.events.events))
		}
	}
}

// Changing the last active admin's display name is no demotion: the rule
// refuses only changes that leave no active admin.
func TestUpdateUserLetsTheLastAdminChangeOtherFields(t *testing.T) {
	t.Parallel()
	admin := newUser(t, "admin@example.com", user.RoleAdmin)
	env := newUserUpdateEnv(admin)
	got, err := env.uc.Execute(context.Background(), someAdmin, admin.ID(), application.UserChanges{DisplayName: ptr("Root")})
	if err != nil || got.DisplayName() != "Root" {
		t.Fatalf("renaming the last admin: %v, %q", err, got.DisplayName())
	}
}

// A new password or a deactivation ends the user's sessions; other
// changes keep them. The audit row says how many ended and never carries
// the password or its hash.
func TestUpdateUserEndsSessionsOnPasswordChangeAndDeactivation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change application.UserChanges
		ends   bool
	}{
		{"password", application.UserChanges{Password: ptr("a brand new passphrase")}, true},
		{"deactivate", application.UserChanges{IsActive: ptr(false)}, true},
		{"rename", application.UserChanges{DisplayName: ptr("Ed")}, false},
	}
	for _, c := range cases {
		editor := newUser(t, "editor@example.com", user.RoleEditor)
		env := newUserUpdateEnv(editor)
		env.sessions.open = []application.Session{{ID: domain.NewID(), UserID: editor.ID()}, {ID: domain.NewID(), UserID: editor.ID()}}
		got, err := env.uc.Execute(context.Background(), someAdmin, editor.ID(), c.change)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if left := env.sessions.of(editor.ID()); (left == 0) != c.ends {
			t.Fatalf("%s: %d sessions left, want ended %v", c.name, left, c.ends)
		}
		details := env.events.events[0].Details()
		if _, counted := details["sessions_ended"]; counted != c.ends {
			t.Fatalf("%s: audit details %v, sessions_ended present should be %v", c.name, details, c.ends)
		}
		if c.change.Password != nil {
			if got.PasswordHash() != "plain:a brand new passphrase" || details["password"] != "changed" {
				t.Fatalf("password change stored %q and audited %v", got.PasswordHash(), details["password"])
			}
		}
	}
}

// The documented errors: invalid (a short password, before anything is
// hashed or stored), not_found, conflict (email taken).
func TestUpdateUserErrors(t *testing.T) {
	t.Parallel()
	editor := newUser(t, "editor@example.com", user.RoleEditor)
	taken := newUser(t, "taken@example.com", user.RoleEditor)
	env := newUserUpdateEnv(editor, taken)
	ctx := context.Background()
	if _, err := env.uc.Execute(ctx, someAdmin, editor.ID(), application.UserChanges{Password: ptr("short")}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("short password: %v, want invalid", err)
	}
	if _, err := env.uc.Execute(ctx, someAdmin, domain.NewID(), application.UserChanges{DisplayName: ptr("x")}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown user: %v, want not_found", err)
	}
	if _, err := env.uc.Execute(ctx, someAdmin, editor.ID(), application.UserChanges{Role: ptr("owner")}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("unknown role: %v, want invalid", err)
	}
	if env.users.writes != 0 || len(env.events.events) != 0 {
		t.Fatalf("refused updates wrote %d rows and %d audit rows", env.users.writes, len(env.events.events))
	}
}
