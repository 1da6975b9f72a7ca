package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// Revoking takes the power creating took: an editor revokes agent keys
// only; a refusal is forbidden and leaves the key working, unaudited.
func TestRevokeAPIKeyRefusesScopesAboveTheRevoker(t *testing.T) {
	t.Parallel()
	cases := []struct {
		role    user.Role
		scopes  []string
		allowed bool
	}{
		{user.RoleEditor, []string{"agent"}, true},
		{user.RoleEditor, []string{"admin"}, false},
		{user.RoleEditor, []string{"read"}, false},
		{user.RoleEditor, []string{"agent", "read"}, false},
		{user.RoleAdmin, []string{"admin"}, true},
	}
	for _, c := range cases {
		key := newKey(t, domain.NewID(), c.scopes...)
		keys, events, inv := newKeys(key), &eventsInMemory{}, &invalidations{}
		uc := application.RevokeAPIKey{Tx: runInline{}, Keys: keys, Audit: events, Clock: fixedClock{}, Invalidator: inv}
		err := uc.Execute(context.Background(), someAdmin, c.role, key.ID())
		revoked := keys.rows[key.ID()].IsRevoked()
		if c.allowed {
			if err != nil || !revoked || len(events.ofType(audit.APIKeyRevoked)) != 1 || len(inv.keys) != 1 {
				t.Fatalf("%s revoking %v: err %v, revoked %v, %d audit rows, %d invalidations", c.role, c.scopes, err, revoked, len(events.events), len(inv.keys))
			}
			continue
		}
		if domain.CodeOf(err) != domain.CodeForbidden || revoked || len(events.events) != 0 {
			t.Fatalf("%s revoking %v: err %v, revoked %v, %d audit rows; want forbidden and nothing changed", c.role, c.scopes, err, revoked, len(events.events))
		}
	}
}

// Revoking twice audits once, yet invalidates both times (a retry after a
// lost publish repairs the caches); an unknown key is not_found.
func TestRevokeAPIKeyTwiceAuditsOnce(t *testing.T) {
	t.Parallel()
	key := newKey(t, domain.NewID(), "agent")
	keys, events, inv := newKeys(key), &eventsInMemory{}, &invalidations{}
	uc := application.RevokeAPIKey{Tx: runInline{}, Keys: keys, Audit: events, Clock: fixedClock{}, Invalidator: inv}
	for range 2 {
		if err := uc.Execute(context.Background(), someAdmin, user.RoleEditor, key.ID()); err != nil {
			t.Fatal(err)
		}
	}
	if len(events.events) != 1 || len(inv.keys) != 2 {
		t.Fatalf("%d audit rows and %d invalidations, want 1 and 2", len(events.events), len(inv.keys))
	}
	if err := uc.Execute(context.Background(), someAdmin, user.RoleAdmin, domain.NewID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown key: %v, want not_found", err)
	}
}
