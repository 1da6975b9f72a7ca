package application_test

import (
	"context"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/group"
)

// Settings are merged key by key into the stored ones: keys not in the
// patch stay, null resets a key to its default. The change is audited with
// before and after, and only the group's policy is invalidated.
func TestUpdateGroupMergesSettingsKeyByKey(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "fleet", `{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":30}`)
	groups, events, inv := newGroups(g), &eventsInMemory{}, &invalidations{}
	uc := application.UpdateGroup{Tx: runInline{}, Groups: groups, Audit: events, Clock: fixedClock{}, Invalidator: inv}
	got, err := uc.Execute(context.Background(), someAdmin, g.ID(), application.GroupChanges{
		Settings: []byte(`{"enforcement":"audit","heartbeat_interval_s":null}`)})
	if err != nil {
		t.Fatal(err)
	}
	s := got.Settings()
	if s.Mode() != group.ModeBlocklist || s.Enforcement() != group.EnforcementAudit || s.HeartbeatIntervalS() != group.DefaultHeartbeatIntervalS {
		t.Fatalf("merged settings %s; want mode kept, enforcement changed, heartbeat reset", s.ExplicitJSON())
	}
	if groups.rows[g.ID()].Settings() != s {
		t.Fatal("the merged settings were not stored")
	}
	if len(events.ofType(audit.GroupUpdated)) != 1 || len(inv.groups) != 1 || inv.groups[0] != g.ID() || inv.all != 0 {
		t.Fatalf("%d audit rows, invalidated %v and all %d times; want one row and this group only", len(events.events), inv.groups, inv.all)
	}
}

// A settings patch that is wrong as a whole (stale before the heartbeat) or
// names an unknown key is invalid under "settings", stores nothing, audits
// nothing and invalidates nothing; an unknown group is not_found.
func TestUpdateGroupRefusesInvalidSettings(t *testing.T) {
	t.Parallel()
	for _, patch := range []string{`{"heartbeat_interval_s":600,"stale_after_s":60}`, `{"colour":"red"}`, `[1]`} {
		g := newGroup(t, "fleet", `{}`)
		groups, events, inv := newGroups(g), &eventsInMemory{}, &invalidations{}
		uc := application.UpdateGroup{Tx: runInline{}, Groups: groups, Audit: events, Clock: fixedClock{}, Invalidator: inv}
		_, err := uc.Execute(context.Background(), someAdmin, g.ID(), application.GroupChanges{Settings: []byte(patch)})
		if domain.CodeOf(err) != domain.CodeInvalid || len(fieldsOf(err)) == 0 {
			t.Fatalf("%s: %v, want invalid naming a field", patch, err)
		}
		for _, f := range fieldsOf(err) {
			if !strings.HasPrefix(f, "settings") {
				t.Fatalf("%s: field %q is not under settings", patch, f)
			}
		}
		if groups.writes != 0 || len(events.events) != 0 || len(inv.groups) != 0 {
			t.Fatalf("%s was refused yet wrote %d rows, %d audit rows, %d invalidations", patch, groups.writes, len(events.events), len(inv.groups))
		}
		if _, err := uc.Execute(context.Background(), someAdmin, domain.NewID(), application.GroupChanges{Name: ptr("x")}); domain.CodeOf(err) != domain.CodeNotFound {
			t.Fatalf("unknown group: %v, want not_found", err)
		}
	}
}
