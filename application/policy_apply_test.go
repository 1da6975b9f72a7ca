package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

// TestApplyPrunesOnlyWhenAskedWithOneChangeSet: without prune what the file
// does not mention stays; with prune it is deleted, and every change of one
// apply is audited with the same change_set_id.
func TestApplyPrunesOnlyWhenAskedWithOneChangeSet(t *testing.T) {
	t.Parallel()
	old1, old2 := newBlock(t, "publisher", "old"), newBlock(t, "exact", "old.two")
	env := newBlocklistEnv(old1, old2)
	kept := newBlock(t, "exact", "new.one")
	file := application.PolicyFile{Sections: application.PolicySections{Blocklist: true}, Blocklist: []blocklist.Entry{kept}}
	ctx := context.Background()
	store := blocklistOnlyStore{env.entries}
	impact := application.BlockImpact{Installations: noInstallations{}}
	plan := application.PlanPolicy{Store: store, Clock: fixedClock{}, Impact: impact, Verdicts: application.PolicyImpact{Select: impact, Clock: fixedClock{}}}
	apply := application.ApplyPolicy{Tx: runInline{}, Store: store, Blocklist: env.entries, Audit: env.events, Clock: fixedClock{}, Invalidator: env.inv}

	p, err := plan.Execute(ctx, file, false)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Action != application.ChangeCreate {
		t.Fatalf("plan without prune: %+v %v", p.Changes, err)
	}
	done, err := apply.Execute(ctx, someAdmin, file, false, p.Revision)
	if err != nil || len(env.entries.rows) != 3 {
		t.Fatalf("apply without prune: %v, %d entries", err, len(env.entries.rows))
	}
	if again, _ := plan.Execute(ctx, file, false); again.Revision != done.Revision || len(again.Changes) != 0 {
		t.Fatalf("the revision an apply answers is not its file's plan now: %s, planned %s", done.Revision, again.Revision)
	}
	p, _ = plan.Execute(ctx, file, true)
	if p.Revision == done.Revision || len(p.Changes) != 2 {
		t.Fatalf("plan with prune: %+v (revision %s, the plan without prune %s)", p.Changes, p.Revision, done.Revision)
	}
	// Prune is part of what was planned: a plan without it does not
	// license deletes.
	if _, err := apply.Execute(ctx, someAdmin, file, true, done.Revision); domain.CodeOf(err) != domain.CodeConflict || len(env.entries.rows) != 3 {
		t.Fatalf("prune at the revision of a plan without: %v", err)
	}
	if _, err := apply.Execute(ctx, someAdmin, file, true, "r-other"); domain.CodeOf(err) != domain.CodeInvalid || len(env.entries.rows) != 3 {
		t.Fatalf("a revision no plan answered: %v", err)
	}
	before := len(env.events.events)
	pruned, err := apply.Execute(ctx, someAdmin, file, true, p.Revision)
	if err != nil || len(env.entries.rows) != 1 || pruned.ChangeSetID.IsZero() {
		t.Fatalf("apply with prune: %v, %d entries", err, len(env.entries.rows))
	}
	deleted := env.events.events[before:]
	if len(deleted) != 2 {
		t.Fatalf("%d audit rows for 2 deletes", len(deleted))
	}
	for _, ev := range deleted {
		if ev.Type() != audit.BlocklistDeleted || ev.Details()["change_set_id"] != pruned.ChangeSetID.String() {
			t.Errorf("audit row %s %v", ev.Type(), ev.Details())
		}
	}
	if _, err := apply.Execute(ctx, someAdmin, file, true, ""); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("no revision: %v", err)
	}
}

// noInstallations is an InstallationReader of an empty fleet.
type noInstallations struct{ application.InstallationReader }

func (noInstallations) ExtensionIDs(context.Context) ([]string, error) { return nil, nil }

func (noInstallations) Impact(context.Context, application.ImpactSelector, int) ([]application.GroupImpact, []application.ImpactedAgent, error) {
	return nil, nil, nil
}

// blocklistOnlyStore is a PolicyStore of a policy that is only a blocklist.
type blocklistOnlyStore struct{ blocks *blocklistInMemory }

func (s blocklistOnlyStore) Read(ctx context.Context) (application.PolicyState, error) {
	p, err := s.blocks.List(ctx, application.BlocklistFilter{}, application.PageRequest{})
	return application.PolicyState{Blocklist: p.Items}, err
}

func (blocklistOnlyStore) Lock(context.Context) error { return nil }
