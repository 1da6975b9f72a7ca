package workers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// pausingClock holds the use case that asks it the time (once it has read
// the row it changes, before it writes) until resume is closed.
type pausingClock struct {
	once   sync.Once
	asked  chan struct{}
	resume chan struct{}
}

func (c *pausingClock) Now() time.Time {
	c.once.Do(func() {
		close(c.asked)
		<-c.resume
	})
	return time.Now().UTC()
}

// An admin renames a catalog entry while a revalidation finds its package
// tampered with: the block survives the rename. The rename is held between
// its read and its write while the revalidation runs, the interleaving in
// which a PATCH that wrote back what it had read before undid the block.
func TestRevalidationBlockSurvivesAConcurrentPatch(t *testing.T) {
	m := newMarketplace(t)
	h := newHarness(t, harnessConfig{allowPrivate: true})
	id := h.catalogEntry(uniqueExt("raced"), m.URL+"/tampered.vsix", hexSHA(m.good))
	clock := &pausingClock{asked: make(chan struct{}), resume: make(chan struct{})}
	rename := application.UpdateCatalogEntry{Tx: postgres.NewTxRunner(h.db), Catalog: postgres.NewCatalogRepository(h.db),
		Audit: postgres.NewAuditLog(h.db), Clock: clock, Invalidator: h.policies}
	admin := audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}
	ctx := context.Background()

	renamed := make(chan error, 1)
	go func() {
		name := "renamed during revalidation"
		_, err := rename.Execute(ctx, admin, id, application.CatalogEntryChanges{Name: &name})
		renamed <- err
	}()
	<-clock.asked

	type result struct {
		outcome application.RevalidationOutcome
		err     error
	}
	revalidated := make(chan result, 1)
	go func() {
		o, err := h.uc.Revalidate.Execute(ctx, application.RevalidationRequest{EntryID: id, RequestedBy: audit.SystemActor()})
		revalidated <- result{o, err}
	}()
	// The revalidation either finishes while the rename waits (no lock: the
	// rename then writes over it) or waits for the rename's lock; give it
	// time to do the first.
	var got result
	select {
	case got = <-revalidated:
	case <-time.After(time.Second):
	}
	close(clock.resume)
	if err := <-renamed; err != nil {
		t.Fatalf("rename: %v", err)
	}
	if got.outcome == "" && got.err == nil {
		got = <-revalidated
	}
	if got.err != nil || got.outcome != application.RevalidationMismatch {
		t.Fatalf("revalidation: %s, %v; want mismatch", got.outcome, got.err)
	}

	var name string
	h.scalar(&name, `SELECT name FROM extensions WHERE id = ?`, id.String())
	if s := h.catalogState(id); !s.IsBlocked || s.BlockReason == "" || name != "renamed during revalidation" {
		t.Errorf("after the race: blocked %v (%q), name %q; want blocked and renamed", s.IsBlocked, s.BlockReason, name)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE event_type = 'extension.checksum_mismatch' AND target_id = ?`, id.String()); n != 1 {
		t.Errorf("%d mismatch events, want 1", n)
	}
}
