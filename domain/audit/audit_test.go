package audit

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
)

func TestNewEvent(t *testing.T) {
	e, err := NewEvent(EventParams{Type: BlocklistCreated, Actor: Actor{Type: ActorUser, ID: domain.NewID(),
		ClientIP: "::ffff:10.0.0.1", UserAgent: strings.Repeat("é", 1000)},
		TargetType: TargetBlocklist, TargetID: domain.NewID(), Details: map[string]any{"pattern": "evil"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Actor().ClientIP != "10.0.0.1" || len(e.Actor().UserAgent) > MaxUserAgentLength || e.ID().IsZero() {
		t.Fatalf("%+v", e.Actor())
	}
	if string(e.DetailsJSON()) != `{"pattern":"evil"}` {
		t.Fatalf("details %s", e.DetailsJSON())
	}
	_, err = NewEvent(EventParams{Type: "Bad Type", Actor: Actor{Type: "robot", ClientIP: "999.1.1.1"},
		Details: map[string]any{"f": func() {}}})
	if e := err.(*domain.Error); len(e.Fields) != 4 {
		t.Fatalf("want event_type, actor_type, client_ip, details: %v", e.Fields)
	}
	sys, err := NewEvent(EventParams{Type: AgentStatusChanged, Actor: SystemActor()})
	if err != nil || string(sys.DetailsJSON()) != "{}" {
		t.Fatalf("%v %s", err, sys.DetailsJSON())
	}
}

func TestEventTypes(t *testing.T) {
	seen := map[EventType]bool{}
	for _, et := range EventTypes {
		if seen[et] || !eventTypeShape.MatchString(string(et)) {
			t.Errorf("%q duplicate or malformed", et)
		}
		seen[et] = true
		if _, err := ParseEventType(string(et)); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseEventType("user.exploded"); err == nil {
		t.Fatal("unknown type accepted")
	}
}
