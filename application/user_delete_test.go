package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// The last active admin cannot be deleted (conflict, nothing written); an
// editor, or one of two admins, can, and their sessions end with them.
func TestDeleteUserKeepsTheLastActiveAdmin(t *testing.T) {
	t.Parallel()
	admin := newUser(t, "admin@example.com", user.RoleAdmin)
	editor := newUser(t, "editor@example.com", user.RoleEditor)
	users, sessions, events := newUsers(admin, editor), &sessionsInMemory{}, &eventsInMemory{}
	sessions.open = []application.Session{{ID: domain.NewID(), UserID: editor.ID()}}
	uc := application.DeleteUser{Tx: runInline{}, Users: users, Sessions: sessions, Audit: events, Clock: fixedClock{}}
	ctx := context.Background()

	if err := uc.Execute(ctx, someAdmin, admin.ID()); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("deleting the last admin: %v, want conflict", err)
	}
	if users.writes != 0 || len(events.events) != 0 {
		t.Fatalf("refused deletion wrote %d rows and %d audit rows", users.writes, len(events.events))
	}
	if err := uc.Execute(ctx, someAdmin, editor.ID()); err != nil {
		t.Fatalf("deleting an editor: %v", err)
	}
	if sessions.of(editor.ID()) != 0 {
		t.Fatal("the deleted editor's session is still open")
	}
	rows := events.ofType(audit.UserDeleted)
	if len(rows) != 1 || rows[0].Details()["sessions_ended"] != 1 {
		t.Fatalf("audit rows %v, want one user.deleted with sessions_ended 1", events.events)
	}
	if err := uc.Execute(ctx, someAdmin, editor.ID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("deleting twice: %v, want not_found", err)
	}

	second := newUser(t, "second@example.com", user.RoleAdmin)
	users.rows[second.ID()] = second
	if err := uc.Execute(ctx, someAdmin, admin.ID()); err != nil {
		t.Fatalf("deleting one of two admins: %v", err)
	}
}
