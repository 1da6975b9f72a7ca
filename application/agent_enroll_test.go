package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/policy"
)

var machine = application.EnrollInput{MachineID: "machine-1", UserHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	DisplayName: "laptop", Platform: "linux", AgentVersion: "1.0.0"}

func newEnroll(groupID domain.ID, agents *agentsInMemory, events *eventsInMemory, cache *agentsChanged) application.EnrollAgent {
	return application.EnrollAgent{Tx: runInline{}, Agents: agents, Audit: events, Clock: fixedClock{},
		Policies: policiesInMemory{groupID: {Policy: policy.Policy{ETag: "p1"}}}, Invalidator: cache}
}

// Enrolling is idempotent per (group, machine_id): the second enrollment
// updates the same agent, is audited as a re-enrollment and empties the
// agent's caches; a decommissioned machine comes back active.
func TestEnrollAgentIsIdempotentPerMachine(t *testing.T) {
	t.Parallel()
	groupID := domain.NewID()
	key := newKey(t, groupID, "agent")
	agents, events, cache := newAgents(), &eventsInMemory{}, &agentsChanged{}
	uc := newEnroll(groupID, agents, events, cache)
	ctx := context.Background()
	first, err := uc.Execute(ctx, key, machine)
	if err != nil || !first.Created || first.Policy.Policy.ETag != "p1" || len(cache.ids) != 0 {
		t.Fatalf("first enrollment: %v, created %v, policy %q, %d cache invalidations", err, first.Created, first.Policy.Policy.ETag, len(cache.ids))
	}
	agents.rows[first.Agent.ID()] = first.Agent.Decommission(fixedClock{}.Now())
	again, err := uc.Execute(ctx, key, machine)
	if err != nil || again.Created || again.Agent.ID() != first.Agent.ID() || again.Agent.Status() != agent.StatusActive {
		t.Fatalf("enrolling again: %v, created %v, same agent %v, status %s", err, again.Created, again.Agent.ID() == first.Agent.ID(), again.Agent.Status())
	}
	if len(agents.rows) != 1 || len(cache.ids) != 1 {
		t.Fatalf("%d agents, %d cache invalidations; want 1 and 1", len(agents.rows), len(cache.ids))
	}
	rows := events.ofType(audit.AgentReenrolled)
	if len(rows) != 1 || rows[0].Details()["was_decommissioned"] != true || rows[0].Actor().Type != audit.ActorAPIKey {
		t.Fatalf("audit %v, want one re-enrollment by the key saying it was decommissioned", events.events)
	}
}

// Two first enrollments of one machine race on the unique index: the loser
// retries once and re-enrolls the winner's agent instead of failing.
func TestEnrollAgentLosingTheFirstEnrollmentRaceReenrolls(t *testing.T) {
	t.Parallel()
	groupID := domain.NewID()
	agents, events := newAgents(), &eventsInMemory{}
	agents.raceOnce = true
	got, err := newEnroll(groupID, agents, events, &agentsChanged{}).Execute(context.Background(), newKey(t, groupID, "agent"), machine)
	if err != nil || got.Created || len(agents.rows) != 1 {
		t.Fatalf("losing the race: %v, created %v, %d agents; want the winner re-enrolled", err, got.Created, len(agents.rows))
	}
}

// The documented errors: invalid fields, forbidden when the key's group is
// gone; neither enrolls anything.
func TestEnrollAgentErrors(t *testing.T) {
	t.Parallel()
	groupID := domain.NewID()
	agents, events := newAgents(), &eventsInMemory{}
	uc := newEnroll(groupID, agents, events, &agentsChanged{})
	bad := machine
	bad.MachineID = ""
	if _, err := uc.Execute(context.Background(), newKey(t, groupID, "agent"), bad); domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "machine_id") {
		t.Fatalf("no machine id: %v, want invalid naming machine_id", err)
	}
	if _, err := uc.Execute(context.Background(), newKey(t, domain.NewID(), "agent"), machine); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("key of a deleted group: %v, want forbidden", err)
	}
	if len(agents.rows) != 0 || len(events.events) != 0 {
		t.Fatalf("refused enrollments stored %d agents and %d audit rows", len(agents.rows), len(events.events))
	}
}
