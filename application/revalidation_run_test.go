package application_test

import (
	"context"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

const (
	otherSHA  = "2222222222222222222222222222222222222222222222222222222222222222"
	contentA  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	contentB  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	someError = "marketplace timed out"
)

type revalidationEnv struct {
	entry    extension.Entry
	catalog  *catalogInMemory
	packages *packagesInMemory
	events   *eventsInMemory
	inv      *invalidations
	uc       application.RevalidateCatalogEntry
}

func newRevalidationEnv(t *testing.T, packageSHA string) *revalidationEnv {
	t.Helper()
	e := &revalidationEnv{entry: newEntry(t), packages: &packagesInMemory{sha256: packageSHA, contentDigest: contentA},
		events: &eventsInMemory{}, inv: &invalidations{}}
	e.catalog = newCatalog(e.entry)
	e.uc = application.RevalidateCatalogEntry{Tx: runInline{}, Catalog: e.catalog, Packages: e.packages, Audit: e.events,
		Policies: e.inv, Clock: fixedClock{}}
	return e
}

func (e *revalidationEnv) run(t *testing.T) application.RevalidationOutcome {
	t.Helper()
	out, err := e.uc.Execute(context.Background(), application.RevalidationRequest{EntryID: e.entry.ID()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A package that differs from the pinned checksum blocks the entry
// everywhere, audited with both checksums; the pin itself stays. A second
// run finds it blocked already and says nothing new.
func TestRevalidateExtensionBlocksOnChecksumMismatch(t *testing.T) {
	t.Parallel()
	env := newRevalidationEnv(t, otherSHA)
	if out := env.run(t); out != application.RevalidationMismatch {
		t.Fatalf("outcome %q, want mismatch", out)
	}
	stored := env.catalog.rows[env.entry.ID()]
	if !stored.IsBlocked() || !strings.Contains(stored.BlockReason(), "checksum mismatch") || stored.SHA256() != pinnedSHA {
		t.Fatalf("stored entry blocked %v (%q), sha %s; want blocked for the mismatch, pin unchanged", stored.IsBlocked(), stored.BlockReason(), stored.SHA256())
	}
	rows := env.events.ofType(audit.ExtensionChecksumMismatch)
	if len(rows) != 1 || rows[0].Details()["actual_sha256"] != otherSHA || rows[0].Details()["expected_sha256"] != pinnedSHA || rows[0].Actor().Type != audit.ActorSystem {
		t.Fatalf("audit %v, want one checksum_mismatch row by the system with both checksums", env.events.events)
	}
	if env.inv.all != 1 {
		t.Fatalf("%d all-group invalidations, want 1", env.inv.all)
	}
	if out := env.run(t); out != application.RevalidationMismatch || len(env.events.events) != 1 || env.inv.all != 1 {
		t.Fatalf("second run: %q, %d audit rows, %d invalidations; want mismatch and nothing new", out, len(env.events.events), env.inv.all)
	}
}

// A matching package records its content digest; only a new digest is
// audited and invalidates policies.
func TestRevalidateExtensionRecordsANewContentDigestOnce(t *testing.T) {
	t.Parallel()
	env := newRevalidationEnv(t, pinnedSHA)
	for range 2 {
		if out := env.run(t); out != application.RevalidationVerified {
			t.Fatalf("outcome %q, want verified", out)
		}
	}
	stored := env.catalog.rows[env.entry.ID()]
	if stored.ContentSHA256() != contentA || stored.IsBlocked() {
		t.Fatalf("stored content %q, blocked %v; want %s, not blocked", stored.ContentSHA256(), stored.IsBlocked(), contentA)
	}
	if len(env.events.ofType(audit.ExtensionRevalidated)) != 1 || env.inv.all != 1 {
		t.Fatalf("%d audit rows, %d invalidations after two runs of one digest; want 1 and 1", len(env.events.events), env.inv.all)
	}
	env.packages.contentDigest = contentB
	env.run(t)
	if len(env.events.ofType(audit.ExtensionRevalidated)) != 2 {
		t.Fatal("a changed content digest was not audited")
	}
}

// An entry re-pinned by an admin while its package downloaded is skipped:
// the result described the old pin, so nothing is blocked. A deleted or
// unpinned entry is skipped without a download, and a failed download is
// the fetcher's error, to be retried.
func TestRevalidateExtensionSkipsWhatItCannotJudge(t *testing.T) {
	t.Parallel()
	env := newRevalidationEnv(t, otherSHA)
	env.packages.during = func() {
		repinned, err := env.entry.WithChanges(extension.EntryPatch{SHA256: ptr(otherSHA), At: fixedClock{}.Now()})
		if err != nil {
			t.Error(err)
		}
		env.catalog.rows[env.entry.ID()] = repinned
	}
	if out := env.run(t); out != application.RevalidationSkipped || env.catalog.rows[env.entry.ID()].IsBlocked() || len(env.events.events) != 0 {
		t.Fatalf("re-pinned during the download: %q, blocked %v, %d audit rows; want skipped and untouched",
			out, env.catalog.rows[env.entry.ID()].IsBlocked(), len(env.events.events))
	}

	env = newRevalidationEnv(t, pinnedSHA)
	unpinned, err := env.entry.WithChanges(extension.EntryPatch{PinnedVersion: ptr(""), At: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	env.catalog.rows[env.entry.ID()] = unpinned
	if out := env.run(t); out != application.RevalidationSkipped {
		t.Fatalf("unpinned entry: %q, want skipped", out)
	}
	delete(env.catalog.rows, env.entry.ID())
	if out := env.run(t); out != application.RevalidationSkipped || env.packages.fetched != 0 {
		t.Fatalf("deleted entry: %q after %d downloads, want skipped without one", out, env.packages.fetched)
	}

	env = newRevalidationEnv(t, pinnedSHA)
	env.packages.err = domain.Unavailable(someError)
	if _, err := env.uc.Execute(context.Background(), application.RevalidationRequest{EntryID: env.entry.ID()}); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Fatalf("failed download: %v, want unavailable", err)
	}
}
