package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// PUT is idempotent: the first put creates and audits; the same put again
// changes nothing and audits nothing; changing is_required keeps the
// assignment's id and creator and audits before and after. Each change
// invalidates only the group's policy.
func TestPutAssignmentIsIdempotent(t *testing.T) {
	t.Parallel()
	g, entry := newGroup(t, "fleet", `{}`), newEntry(t)
	assignments, events, inv := &assignmentsInMemory{}, &eventsInMemory{}, &invalidations{}
	uc := application.PutAssignment{Tx: runInline{}, Groups: newGroups(g), Catalog: newCatalog(entry), Assignments: assignments,
		Audit: events, Clock: fixedClock{}, Invalidator: inv}
	ctx := context.Background()

	first, created, err := uc.Execute(ctx, someAdmin, g.ID(), entry.ID(), false)
	if err != nil || !created || first.AddedBy != someAdmin.ID {
		t.Fatalf("first put: %v, created %v, added by %v", err, created, first.AddedBy)
	}
	again, created, err := uc.Execute(ctx, someAdmin, g.ID(), entry.ID(), false)
	if err != nil || created || again.ID != first.ID || assignments.puts != 1 || len(events.events) != 1 {
		t.Fatalf("same put again: %v, created %v, id kept %v, %d puts, %d audit rows; want nothing new",
			err, created, again.ID == first.ID, assignments.puts, len(events.events))
	}
	other := audit.Actor{Type: audit.ActorAPIKey, ID: domain.NewID()}
	changed, created, err := uc.Execute(ctx, other, g.ID(), entry.ID(), true)
	if err != nil || created || changed.ID != first.ID || changed.AddedBy != first.AddedBy || !changed.IsRequired {
		t.Fatalf("changing is_required: %v, created %v, %+v; want the same assignment, now required", err, created, changed)
	}
	rows := events.ofType(audit.AssignmentSet)
	if len(rows) != 2 || rows[1].Details()["before"] == nil {
		t.Fatalf("audit rows %v, want two assignment.set rows, the second with before", rows)
	}
	for _, id := range inv.groups {
		if id != g.ID() {
			t.Fatalf("invalidated group %v, want only %v", id, g.ID())
		}
	}
	if len(inv.groups) == 0 || inv.all != 0 {
		t.Fatalf("invalidated groups %v and all %d times; want this group only", inv.groups, inv.all)
	}
}

// An unknown group or catalog entry is not_found and assigns nothing.
func TestPutAssignmentErrors(t *testing.T) {
	t.Parallel()
	g, entry := newGroup(t, "fleet", `{}`), newEntry(t)
	assignments, events := &assignmentsInMemory{}, &eventsInMemory{}
	uc := application.PutAssignment{Tx: runInline{}, Groups: newGroups(g), Catalog: newCatalog(entry), Assignments: assignments,
		Audit: events, Clock: fixedClock{}}
	for name, ids := range map[string][2]domain.ID{"group": {domain.NewID(), entry.ID()}, "entry": {g.ID(), domain.NewID()}} {
		if _, _, err := uc.Execute(context.Background(), someAdmin, ids[0], ids[1], true); domain.CodeOf(err) != domain.CodeNotFound {
			t.Fatalf("unknown %s: %v, want not_found", name, err)
		}
	}
	if assignments.puts != 0 || len(events.events) != 0 {
		t.Fatalf("refused puts stored %d and audited %d", assignments.puts, len(events.events))
	}
}
