package application_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/request"
)

// TestExpireGrantsAuditsEachAndTellsTheCaches: one audit row per ended
// grant naming its request; groups whose assignment ended are invalidated,
// the exception overlay once for all ended exceptions; a pass that ends
// nothing tells nobody.
func TestExpireGrantsAuditsEachAndTellsTheCaches(t *testing.T) {
	groupID, agentID := domain.NewID(), domain.NewID()
	byAgent, byGroup := domain.NewID(), domain.NewID()
	at := fixedClock{}.Now().Add(-time.Minute)
	store := &exceptionsInMemory{ended: []application.EndedGrant{
		{RequestID: byAgent, AgentID: agentID, GroupID: groupID, ExtensionID: "a.b", Scope: request.ScopeAgent, ExpiresAt: at},
		{RequestID: byGroup, GroupID: groupID, ExtensionID: "c.d", Scope: request.ScopeGroup, ExpiresAt: at},
	}}
	events, groups, news := &eventsInMemory{}, &invalidations{}, &exceptionNews{}
	uc := application.ExpireGrants{Tx: runInline{}, Exceptions: store, Audit: events, Clock: fixedClock{}, Invalidator: groups, ExceptionBus: news}
	ended, err := uc.Execute(context.Background())
	if err != nil || len(ended) != 2 {
		t.Fatalf("%v %+v", err, ended)
	}
	evs := events.ofType(audit.ExtensionRequestExpired)
	if len(evs) != 2 {
		t.Fatalf("audit: %+v", evs)
	}
	for i, want := range []domain.ID{byAgent, byGroup} {
		if evs[i].TargetID() != want || evs[i].Details()["request_id"] != want.String() || evs[i].GroupID() != groupID {
			t.Fatalf("event %d: %+v", i, evs[i])
		}
	}
	if evs[0].Details()["agent_id"] != agentID.String() {
		t.Fatalf("the exception's event does not name its agent: %v", evs[0].Details())
	}
	if news.n != 1 || len(groups.groups) != 1 || groups.groups[0] != groupID {
		t.Fatalf("invalidations: exceptions %d, groups %v", news.n, groups.groups)
	}
	if again, err := uc.Execute(context.Background()); err != nil || len(again) != 0 || news.n != 1 || len(groups.groups) != 1 {
		t.Fatalf("an empty pass: %v %+v, exceptions %d, groups %v", err, again, news.n, groups.groups)
	}
}

// TestExpireGrantsFailsClosedWithoutAudit: what ended is not announced
// when its audit rows could not be written (the transaction rolls back).
func TestExpireGrantsFailsClosedWithoutAudit(t *testing.T) {
	store := &exceptionsInMemory{ended: []application.EndedGrant{{RequestID: domain.NewID(), AgentID: domain.NewID(),
		GroupID: domain.NewID(), ExtensionID: "a.b", Scope: request.ScopeAgent, ExpiresAt: fixedClock{}.Now()}}}
	news := &exceptionNews{}
	uc := application.ExpireGrants{Tx: runInline{}, Exceptions: store, Audit: &flakyEvents{failures: 1}, Clock: fixedClock{},
		Invalidator: &invalidations{}, ExceptionBus: news}
	if _, err := uc.Execute(context.Background()); err == nil || news.n != 0 {
		t.Fatalf("%v, exceptions told %d", err, news.n)
	}
}
