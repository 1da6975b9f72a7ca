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

type catalogUpdateEnv struct {
	catalog *catalogInMemory
	guard   *privateHostGuard
	events  *eventsInMemory
	inv     *invalidations
	uc      application.UpdateCatalogEntry
}

func newCatalogUpdateEnv(es ...extension.Entry) catalogUpdateEnv {
	e := catalogUpdateEnv{catalog: newCatalog(es...), guard: &privateHostGuard{}, events: &eventsInMemory{}, inv: &invalidations{}}
	e.uc = application.UpdateCatalogEntry{Tx: runInline{}, Catalog: e.catalog, Guard: e.guard, Audit: e.events,
		Clock: fixedClock{}, Invalidator: e.inv}
	return e
}

// A marketplace_url the TargetGuard refuses (a private address) is invalid
// under marketplace_url and changes nothing: no row, no audit, no
// invalidation.
func TestUpdateCatalogEntryRefusesAPrivateMarketplaceURL(t *testing.T) {
	t.Parallel()
	entry := newEntry(t)
	env := newCatalogUpdateEnv(entry)
	_, err := env.uc.Execute(context.Background(), someAdmin, entry.ID(), application.CatalogEntryChanges{
		MarketplaceURL: ptr("https://10.0.0.5/acme.tool.vsix")})
	if domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "marketplace_url") {
		t.Fatalf("private marketplace_url: %v, want invalid naming marketplace_url", err)
	}
	if env.catalog.writes != 0 || len(env.events.events) != 0 || env.inv.all != 0 {
		t.Fatalf("refused update wrote %d rows, %d audit rows, %d invalidations", env.catalog.writes, len(env.events.events), env.inv.all)
	}
}

// A change that does not touch the URL does not ask the guard (a URL stored
// before the operator tightened the rules stays editable around); a
// successful change is audited and invalidates every group's policy, since
// catalog blocks apply everywhere.
func TestUpdateCatalogEntryChecksOnlyANewURLAndInvalidatesEveryGroup(t *testing.T) {
	t.Parallel()
	entry := newEntry(t)
	env := newCatalogUpdateEnv(entry)
	got, err := env.uc.Execute(context.Background(), someAdmin, entry.ID(), application.CatalogEntryChanges{
		IsBlocked: ptr(true), BlockReason: ptr("recalled")})
	if err != nil || !got.IsBlocked() {
		t.Fatalf("blocking: %v, blocked %v", err, got.IsBlocked())
	}
	if len(env.guard.checked) != 0 {
		t.Fatalf("the guard was asked about %v though the URL did not change", env.guard.checked)
	}
	rows := env.events.ofType(audit.ExtensionUpdated)
	if len(rows) != 1 || env.inv.all != 1 {
		t.Fatalf("%d extension.updated rows, %d all-group invalidations; want 1 and 1", len(rows), env.inv.all)
	}
	public := "https://marketplace.example.com/acme.tool-1.0.1.vsix"
	if _, err := env.uc.Execute(context.Background(), someAdmin, entry.ID(), application.CatalogEntryChanges{MarketplaceURL: &public}); err != nil {
		t.Fatalf("a public URL: %v", err)
	}
	if len(env.guard.checked) != 1 || !strings.Contains(env.guard.checked[0], "1.0.1") {
		t.Fatalf("guard asked about %v, want the new URL", env.guard.checked)
	}
}

// The documented errors besides the guard's: not_found, invalid fields.
func TestUpdateCatalogEntryErrors(t *testing.T) {
	t.Parallel()
	entry := newEntry(t)
	env := newCatalogUpdateEnv(entry)
	if _, err := env.uc.Execute(context.Background(), someAdmin, domain.NewID(), application.CatalogEntryChanges{Name: ptr("x")}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown entry: %v, want not_found", err)
	}
	if _, err := env.uc.Execute(context.Background(), someAdmin, entry.ID(), application.CatalogEntryChanges{SHA256: ptr("nothex")}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("bad checksum: %v, want invalid", err)
	}
	if env.catalog.writes != 0 {
		t.Fatalf("refused updates wrote %d rows", env.catalog.writes)
	}
}
