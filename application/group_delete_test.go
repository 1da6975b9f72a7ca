package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// A group with enrolled agents is refused (conflict, nothing changed). An
// empty one is deleted with its live keys revoked and dropped from every
// instance's cache; a key revoked earlier is left as it was.
func TestDeleteGroupRefusesEnrolledAgentsAndRevokesItsKeys(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "fleet", `{}`)
	live, old := newKey(t, g.ID(), "agent"), newKey(t, g.ID(), "agent")
	old = old.Revoke(fixedClock{}.Now())
	elsewhere := newKey(t, domain.NewID(), "agent")
	groups, keys := newGroups(g), newKeys(live, old, elsewhere)
	groups.enrolled = map[domain.ID]int{g.ID(): 2}
	events, inv, keyInv := &eventsInMemory{}, &invalidations{}, &invalidations{}
	uc := application.DeleteGroup{Tx: runInline{}, Groups: groups, Keys: keys, KeyInvalidator: keyInv, Audit: events,
		Clock: fixedClock{}, Invalidator: inv}
	ctx := context.Background()

	if err := uc.Execute(ctx, someAdmin, g.ID()); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("group with agents: %v, want conflict", err)
	}
	if groups.writes != 0 || keys.writes != 0 || len(events.events) != 0 || len(inv.groups) != 0 {
		t.Fatal("a refused deletion changed something")
	}
	groups.enrolled = nil
	if err := uc.Execute(ctx, someAdmin, g.ID()); err != nil {
		t.Fatal(err)
	}
	if !keys.rows[live.ID()].IsRevoked() || keys.rows[elsewhere.ID()].IsRevoked() || keys.writes != 1 {
		t.Fatalf("live key revoked %v, other group's key revoked %v, %d key writes; want only the live key revoked",
			keys.rows[live.ID()].IsRevoked(), keys.rows[elsewhere.ID()].IsRevoked(), keys.writes)
	}
	if len(keyInv.keys) != 1 || keyInv.keys[0] != live.ID() || len(inv.groups) != 1 {
		t.Fatalf("key invalidations %v, group invalidations %v; want the live key and the group", keyInv.keys, inv.groups)
	}
	rows := events.ofType(audit.GroupDeleted)
	if len(rows) != 1 || rows[0].Details()["api_keys_revoked"] != 1 {
		t.Fatalf("audit %v, want one group.deleted row counting one revoked key", events.events)
	}
	if err := uc.Execute(ctx, someAdmin, g.ID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("deleting twice: %v, want not_found", err)
	}
}
