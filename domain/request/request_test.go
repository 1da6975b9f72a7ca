package request

import (
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	r, err := New(Params{AgentID: domain.NewID(), ExtensionID: " Dev.Tool ", Reason: "need it for the build"}, now)
	if err != nil || r.ExtensionID() != "dev.tool" || r.Status() != StatusPending {
		t.Fatalf("%v %+v", err, r)
	}
	_, err = New(Params{ExtensionID: "not an id", Version: "x y", Reason: "a\u200bb"}, now)
	if e, ok := err.(*domain.Error); !ok || len(e.Fields) != 3 {
		t.Fatalf("want extension_id, version and reason refused: %v", err)
	}
	if _, err := New(Params{ExtensionID: "a.b", Reason: "  "}, now); err == nil {
		t.Fatal("empty reason accepted")
	}
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	r, _ := New(Params{ExtensionID: "a.b", Version: "1.2.3", Reason: "why"}, now)
	if _, err := r.Approve(Answer{Scope: "fleet", ExpiresAt: now.Add(-time.Minute)}, now); err == nil {
		t.Fatal("bad scope and past expiry accepted")
	}
	for _, far := range []time.Time{now.Add(MaxApprovalDuration + time.Second), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		if _, err := r.Approve(Answer{Scope: ScopeAgent, ExpiresAt: far}, now); domain.CodeOf(err) != domain.CodeInvalid {
			t.Fatalf("expiry %v accepted: %v", far, err)
		}
	}
	if _, err := r.Approve(Answer{Scope: ScopeAgent, ExpiresAt: now.Add(MaxApprovalDuration)}, now); err != nil {
		t.Fatalf("expiry at the bound refused: %v", err)
	}
	ok, err := r.Approve(Answer{Scope: ScopeAgent, ExpiresAt: now.Add(time.Hour), Note: "for the sprint"}, now)
	if err != nil || ok.Status() != StatusApproved || ok.Version() != "1.2.3" || !ok.ExpiresAt().Equal(now.Add(time.Hour)) {
		t.Fatalf("%v %+v", err, ok)
	}
	if _, err := ok.Deny(Answer{Note: "no"}, now); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("answering twice: %v", err)
	}
	if _, err := r.Deny(Answer{Note: ""}, now); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("denial without a note: %v", err)
	}
}
