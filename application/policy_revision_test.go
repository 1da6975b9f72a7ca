package application_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// TestApplyBindsThePlannedFileAndState: a plan's revision names the file
// it planned as well as the state. Another file at that revision is
// refused as a different file; the same entries in another order are the
// same file; once applied, the state has moved and the same revision is
// refused as such.
func TestApplyBindsThePlannedFileAndState(t *testing.T) {
	t.Parallel()
	env := newBlocklistEnv(newBlock(t, "publisher", "old"))
	ctx := context.Background()
	store := blocklistOnlyStore{env.entries}
	impact := application.BlockImpact{Installations: noInstallations{}}
	plan := application.PlanPolicy{Store: store, Clock: fixedClock{}, Impact: impact, Verdicts: application.PolicyImpact{Select: impact, Clock: fixedClock{}}}
	apply := application.ApplyPolicy{Tx: runInline{}, Store: store, Blocklist: env.entries, Audit: env.events, Clock: fixedClock{}, Invalidator: env.inv}
	file := func(es ...blocklist.Entry) application.PolicyFile {
		return application.PolicyFile{Sections: application.PolicySections{Blocklist: true}, Blocklist: es}
	}
	one, two := newBlock(t, "exact", "new.one"), newBlock(t, "exact", "new.two")
	reviewed := file(one, two)
	p, err := plan.Execute(ctx, reviewed, false)
	if err != nil || len(p.Changes) != 2 {
		t.Fatalf("plan: %+v %v", p.Changes, err)
	}
	if reordered, _ := plan.Execute(ctx, file(two, one), false); reordered.Revision != p.Revision {
		t.Fatalf("the same entries in another order plan another revision: %s, %s", reordered.Revision, p.Revision)
	}
	edited := file(one, newBlock(t, "exact", "new.three"))
	if _, err := apply.Execute(ctx, someAdmin, edited, false, p.Revision); !conflictSays(err, "differs from the one planned") || len(env.entries.rows) != 1 {
		t.Fatalf("another file at the reviewed plan's revision: %v, %d entries", err, len(env.entries.rows))
	}
	reason, _ := blocklist.NewEntry(blocklist.EntryParams{PatternType: "exact", Pattern: "new.two", Reason: "another reason", CreatedAt: fixedClock{}.Now()})
	if _, err := apply.Execute(ctx, someAdmin, file(one, reason), false, p.Revision); !conflictSays(err, "differs from the one planned") {
		t.Fatalf("a changed reason at the reviewed plan's revision: %v", err)
	}
	done, err := apply.Execute(ctx, someAdmin, file(two, one), false, p.Revision)
	if err != nil || len(done.Changes) != 2 || len(env.entries.rows) != 3 {
		t.Fatalf("the planned file: %v, %d entries", err, len(env.entries.rows))
	}
	audits := len(env.events.events)
	if _, err := apply.Execute(ctx, someAdmin, reviewed, false, p.Revision); !conflictSays(err, "changed since this plan") || len(env.events.events) != audits {
		t.Fatalf("the same plan again, after its apply: %v", err)
	}
	again, err := apply.Execute(ctx, someAdmin, reviewed, false, done.Revision)
	if err != nil || len(again.Changes) != 0 || !again.ChangeSetID.IsZero() || len(env.events.events) != audits {
		t.Fatalf("the same file at the revision its apply answered: %+v %v", again, err)
	}
}

func conflictSays(err error, words string) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Code == domain.CodeConflict && strings.Contains(e.Message, words)
}
