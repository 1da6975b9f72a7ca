package application_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/request"
)

type approveEnv struct {
	uc         application.ApproveRequest
	req        request.Request
	exceptions *exceptionsInMemory
	catalog    *catalogInMemory
	events     *eventsInMemory
	groups     *invalidations
	news       *exceptionNews
}

// newApproveEnv has one pending request of a.tool for an agent of a group
// whose inputs are in (plus the blocklist).
func newApproveEnv(t *testing.T, in policy.CompileInput, blocks ...blocklist.Entry) approveEnv {
	t.Helper()
	a := newAgent(t, domain.NewID())
	r, err := request.New(request.Params{AgentID: a.ID(), GroupID: a.GroupID(), ExtensionID: "acme.tool", Reason: "the build"}, fixedClock{}.Now())
	if err != nil {
		t.Fatal(err)
	}
	in.Blocklist = append(in.Blocklist, blocks...)
	e := approveEnv{req: r, exceptions: &exceptionsInMemory{}, catalog: newCatalog(), events: &eventsInMemory{},
		groups: &invalidations{}, news: &exceptionNews{}}
	e.uc = application.ApproveRequest{Tx: runInline{}, Requests: newRequests(r), Exceptions: e.exceptions,
		Catalog: catalogListing{e.catalog}, Inputs: inputsInMemory(in), Audit: e.events, Clock: fixedClock{},
		Invalidator: e.groups, ExceptionBus: e.news}
	return e
}

func TestApproveRequestForTheAgent(t *testing.T) {
	e := newApproveEnv(t, policy.CompileInput{})
	until := fixedClock{}.Now().Add(2 * time.Hour)
	r, err := e.uc.Execute(context.Background(), someAdmin, e.req.ID(), application.ApproveInput{Scope: "agent", ExpiresAt: &until, Note: "sprint"})
	if err != nil || r.Status() != request.StatusApproved {
		t.Fatalf("%v %+v", err, r)
	}
	if len(e.exceptions.agents) != 1 || len(e.exceptions.groups) != 0 {
		t.Fatalf("grants: %+v %+v", e.exceptions.agents, e.exceptions.groups)
	}
	x := e.exceptions.agents[0]
	if x.AgentID != e.req.AgentID() || x.RequestID != e.req.ID() || x.ExtensionID != "acme.tool" || !x.ExpiresAt.Equal(until) {
		t.Fatalf("exception: %+v", x)
	}
	evs := e.events.ofType(audit.ExtensionRequestApproved)
	if len(evs) != 1 || evs[0].TargetID() != e.req.ID() || evs[0].Details()["scope"] != "agent" {
		t.Fatalf("audit: %+v", evs)
	}
	// An agent's exception changes no group's policy, only the overlay.
	if e.news.n != 1 || len(e.groups.groups) != 0 {
		t.Fatalf("invalidations: exceptions %d, groups %v", e.news.n, e.groups.groups)
	}
}

func TestApproveRequestForTheGroupCreatesTheCatalogEntry(t *testing.T) {
	e := newApproveEnv(t, policy.CompileInput{})
	r, err := e.uc.Execute(context.Background(), someAdmin, e.req.ID(), application.ApproveInput{Scope: "group"})
	if err != nil || r.Scope() != request.ScopeGroup {
		t.Fatalf("%v %+v", err, r)
	}
	if len(e.exceptions.groups) != 1 || len(e.catalog.rows) != 1 || len(e.exceptions.agents) != 0 {
		t.Fatalf("grants %+v, catalog %d", e.exceptions.groups, len(e.catalog.rows))
	}
	g := e.exceptions.groups[0]
	if g.GroupID != e.req.GroupID() || g.Entry.ExtensionID() != "acme.tool" || !g.ExpiresAt.IsZero() || g.RequestID != e.req.ID() {
		t.Fatalf("assignment: %+v", g)
	}
	if len(e.groups.groups) != 1 || e.groups.groups[0] != e.req.GroupID() || e.news.n != 0 {
		t.Fatalf("invalidations: groups %v, exceptions %d", e.groups.groups, e.news.n)
	}
}

// TestApproveRequestRefusesWhatABlockBlocks: whichever rule blocks the
// extension (blocklist, catalog block), no scope is granted, nothing is
// audited as approved and no cache hears of a change.
func TestApproveRequestRefusesWhatABlockBlocks(t *testing.T) {
	blockedEntry, err := newEntry(t).Block("malware in 1.0.0", fixedClock{}.Now()) // acme.tool
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*testing.T) approveEnv{
		"blocklist": func(t *testing.T) approveEnv {
			return newApproveEnv(t, policy.CompileInput{}, newBlock(t, "publisher", "acme"))
		},
		"catalog": func(t *testing.T) approveEnv {
			return newApproveEnv(t, policy.CompileInput{BlockedCatalog: []extension.Entry{blockedEntry}})
		},
	}
	for name, env := range cases {
		for _, scope := range []string{"agent", "group"} {
			t.Run(name+"/"+scope, func(t *testing.T) {
				e := env(t)
				_, err := e.uc.Execute(context.Background(), someAdmin, e.req.ID(), application.ApproveInput{Scope: scope})
				if domain.CodeOf(err) != domain.CodeConflict || !strings.Contains(err.Error(), "blocked") {
					t.Fatalf("approval of a blocked extension: %v", err)
				}
				if len(e.exceptions.agents)+len(e.exceptions.groups)+len(e.catalog.rows) != 0 || len(e.events.events) != 0 ||
					e.news.n != 0 || len(e.groups.groups) != 0 {
					t.Fatalf("a refused approval changed something: %+v %+v %d", e.exceptions, e.events.events, e.news.n)
				}
			})
		}
	}
}

// TestApproveRequestInvalidChangesNothing: bad input is a field error and
// reaches no repository.
func TestApproveRequestInvalidChangesNothing(t *testing.T) {
	past, far := fixedClock{}.Now().Add(-time.Second), fixedClock{}.Now().AddDate(50, 0, 0)
	for _, in := range []application.ApproveInput{{Scope: "fleet"}, {Scope: "agent", ExpiresAt: &past},
		{Scope: "agent", ExpiresAt: &far}, {Scope: "agent", Version: "not a version"}, {Scope: "agent", Note: "a\u200bb"}} {
		e := newApproveEnv(t, policy.CompileInput{})
		_, err := e.uc.Execute(context.Background(), someAdmin, e.req.ID(), in)
		if domain.CodeOf(err) != domain.CodeInvalid || len(fieldsOf(err)) != 1 {
			t.Fatalf("%+v: %v", in, err)
		}
		if len(e.exceptions.agents)+len(e.exceptions.groups) != 0 || len(e.events.events) != 0 || e.news.n != 0 {
			t.Fatalf("%+v changed something", in)
		}
	}
}

// TestApproveRequestFailsClosedWithoutAudit: no audit row, no approval
// answered and no cache told.
func TestApproveRequestFailsClosedWithoutAudit(t *testing.T) {
	e := newApproveEnv(t, policy.CompileInput{})
	e.uc.Audit = &flakyEvents{failures: 1}
	if _, err := e.uc.Execute(context.Background(), someAdmin, e.req.ID(), application.ApproveInput{Scope: "agent"}); err == nil {
		t.Fatal("approved without an audit row")
	}
	if e.news.n != 0 || len(e.groups.groups) != 0 {
		t.Fatal("caches told of a change that did not commit")
	}
}
