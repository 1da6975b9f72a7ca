package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// TestCreateAPIKeyRefusesScopesAboveTheGranter: the rule lives in the use
// case, so every caller (not only the admin API's handler) is held to it:
// an editor gets agent keys, only an admin gets admin or read keys, and a
// refusal stores neither a key nor an audit row.
func TestCreateAPIKeyRefusesScopesAboveTheGranter(t *testing.T) {
	t.Parallel()
	group := domain.NewID()
	editor := audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}
	cases := []struct {
		role    user.Role
		scopes  []string
		allowed bool
	}{
		{user.RoleEditor, []string{"agent"}, true},
		{user.RoleEditor, []string{"admin"}, false},
		{user.RoleEditor, []string{"read"}, false},
		{user.RoleEditor, []string{"agent", "admin"}, false},
		{user.RoleAdmin, []string{"admin"}, true},
		{user.RoleAdmin, []string{"read"}, true},
	}
	for _, c := range cases {
		keys, events := newKeys(), &eventsInMemory{}
		uc := application.CreateAPIKey{Tx: runInline{}, Keys: keys, Audit: events, Clock: fixedClock{}}
		_, secret, err := uc.Execute(context.Background(), editor, c.role, group, "k", c.scopes, nil)
		if c.allowed {
			if err != nil || len(keys.created) != 1 || len(events.events) != 1 || secret.String() == "" {
				t.Fatalf("%s creating %v: err %v, %d keys, %d audit rows; want one of each", c.role, c.scopes, err, len(keys.created), len(events.events))
			}
			continue
		}
		if domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("%s creating %v: %v, want forbidden", c.role, c.scopes, err)
		}
		if len(keys.created) != 0 || len(events.events) != 0 {
			t.Fatalf("%s creating %v was refused yet stored %d keys and %d audit rows", c.role, c.scopes, len(keys.created), len(events.events))
		}
	}
}

// An unknown scope is invalid, named, for an editor too (not forbidden: the
// grant rule judges only scopes that exist), and stores nothing.
func TestCreateAPIKeyRefusesUnknownScopesAsInvalid(t *testing.T) {
	t.Parallel()
	keys, events := newKeys(), &eventsInMemory{}
	uc := application.CreateAPIKey{Tx: runInline{}, Keys: keys, Audit: events, Clock: fixedClock{}}
	_, _, err := uc.Execute(context.Background(), someAdmin, user.RoleEditor, domain.NewID(), "k", []string{"root"}, nil)
	if domain.CodeOf(err) != domain.CodeInvalid || len(fieldsOf(err)) == 0 {
		t.Fatalf("unknown scope: %v, want invalid naming the field", err)
	}
	if len(keys.created) != 0 || len(events.events) != 0 {
		t.Fatalf("refused key stored %d keys and %d audit rows", len(keys.created), len(events.events))
	}
}
