package audit

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
)

func TestNewEvent(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// TestClientTextIsStorable: a user agent and details quoting client input
// come out valid UTF-8 without NUL (PostgreSQL refuses both) and, for the
// user agent, without any control character.
func TestClientTextIsStorable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"curl/8", "curl/8"},
		{"a\x00b", "a\uFFFDb"},
		{"a\r\nX-Injected: 1", "a\uFFFD\uFFFDX-Injected: 1"},
		{"bad\xff\xfeutf8", "bad\uFFFD\uFFFDutf8"},
		{"tab\there\x7f", "tab\uFFFDhere\uFFFD"},
	} {
		if got := CleanText(c.in, 100); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := CleanText("éé", 3); got != "é" { // a cut never splits a character
		t.Errorf("cut to %q", got)
	}
	e, err := NewEvent(EventParams{Type: UserLoginFailed, Actor: Actor{Type: ActorUser, UserAgent: "x\x00\xff"},
		Details: map[string]any{"email": "a\x00@example.com", "nested": map[string]any{"k\x00": []any{"v\x00", 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if ua := e.Actor().UserAgent; ua != "x\uFFFD\uFFFD" {
		t.Errorf("user agent %q", ua)
	}
	if got, want := string(e.DetailsJSON()), `{"email":"a`+"\uFFFD"+`@example.com","nested":{"k`+"\uFFFD"+`":["v`+"\uFFFD"+`",1]}}`; got != want {
		t.Errorf("details %s, want %s", got, want)
	}
}
