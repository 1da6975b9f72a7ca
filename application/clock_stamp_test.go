package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// TestUseCasesStampTheirClock: the domain reads no clock, so a use case's
// Clock is the only time its entity and its audit row can carry; pinning
// it pins both (the audit row was stamped by the wall clock before).
func TestUseCasesStampTheirClock(t *testing.T) {
	groups, events := newGroups(), &eventsInMemory{}
	uc := application.CreateGroup{Tx: runInline{}, Groups: groups, Audit: events, Clock: fixedClock{}}
	actor := audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}
	g, err := uc.Execute(context.Background(), actor, application.NewGroupInput{Name: "Security", Settings: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := fixedClock{}.Now()
	if !g.CreatedAt().Equal(want) || !g.UpdatedAt().Equal(want) {
		t.Errorf("group times %v/%v, want the clock's %v", g.CreatedAt(), g.UpdatedAt(), want)
	}
	if len(events.events) != 1 || !events.events[0].CreatedAt().Equal(want) {
		t.Fatalf("audit rows %+v, want one at the clock's %v", events.events, want)
	}
}
