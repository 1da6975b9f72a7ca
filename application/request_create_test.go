package application_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// TestCreateRequestPendingAndLimit: asking again while pending answers the
// same request, uncounted and unaudited, even over the limit; a new one
// beyond the limit is refused until the oldest counted leaves the window.
func TestCreateRequestPendingAndLimit(t *testing.T) {
	a := newAgent(t, domain.NewID())
	requests, events := newRequests(), &eventsInMemory{}
	uc := application.CreateRequest{Tx: runInline{}, Requests: requests, Audit: events, Clock: fixedClock{},
		Limit: application.RequestLimit{PerWindow: 2, Window: time.Hour}}
	ctx := context.Background()
	first, created, err := uc.Execute(ctx, a, application.RequestInput{ExtensionID: "Acme.Tool", Reason: "the build"})
	if err != nil || !created || first.ExtensionID() != "acme.tool" || first.GroupID() != a.GroupID() {
		t.Fatalf("%v %v %+v", err, created, first)
	}
	again, created, err := uc.Execute(ctx, a, application.RequestInput{ExtensionID: "acme.tool", Reason: "again"})
	if err != nil || created || again.ID() != first.ID() || again.Reason() != "the build" {
		t.Fatalf("asking again: %v %v %+v", err, created, again)
	}
	evs := events.ofType(audit.ExtensionRequestCreated)
	if len(evs) != 1 || evs[0].TargetID() != first.ID() || evs[0].Details()["machine_id"] != a.MachineID() {
		t.Fatalf("audit: %+v", evs)
	}
	if _, _, err := uc.Execute(ctx, a, application.RequestInput{ExtensionID: "acme.other", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = uc.Execute(ctx, a, application.RequestInput{ExtensionID: "acme.third", Reason: "r"})
	var limited *application.RateLimitedError
	if !errors.As(err, &limited) || limited.RetryAfter != time.Hour {
		t.Fatalf("over the limit: %v", err)
	}
	if len(requests.rows) != 2 || len(events.events) != 2 {
		t.Fatalf("a refused request was stored or audited: %d rows, %d events", len(requests.rows), len(events.events))
	}
	if r, created, err := uc.Execute(ctx, a, application.RequestInput{ExtensionID: "acme.tool", Reason: "r"}); err != nil || created || r.ID() != first.ID() {
		t.Fatalf("the pending one over the limit: %v %v", err, created)
	}
	// Another agent has its own allowance.
	if _, created, err := uc.Execute(ctx, newAgent(t, a.GroupID()), application.RequestInput{ExtensionID: "acme.third", Reason: "r"}); err != nil || !created {
		t.Fatalf("another agent: %v %v", err, created)
	}
}

// TestCreateRequestInvalidChangesNothing: a malformed id, version or reason
// is a field error, nothing stored or audited.
func TestCreateRequestInvalidChangesNothing(t *testing.T) {
	requests, events := newRequests(), &eventsInMemory{}
	uc := application.CreateRequest{Tx: runInline{}, Requests: requests, Audit: events, Clock: fixedClock{}}
	for field, in := range map[string]application.RequestInput{
		"extension_id": {ExtensionID: "not an id", Reason: "r"},
		"version":      {ExtensionID: "a.b", Version: "1 2", Reason: "r"},
		"reason":       {ExtensionID: "a.b", Reason: " "},
	} {
		_, _, err := uc.Execute(context.Background(), newAgent(t, domain.NewID()), in)
		if !hasField(err, field) || len(requests.rows) != 0 || len(events.events) != 0 {
			t.Fatalf("%s: %v", field, err)
		}
	}
}
