package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// A private marketplace_url is refused before anything is stored; a
// duplicate extension id is a conflict. Only a blocked entry invalidates
// every group's policy: an unblocked one is in no policy until assigned.
func TestCreateCatalogEntryGuardsTheURLAndInvalidatesOnlyForABlock(t *testing.T) {
	t.Parallel()
	catalog, guard, events, inv := newCatalog(), &privateHostGuard{}, &eventsInMemory{}, &invalidations{}
	uc := application.CreateCatalogEntry{Tx: runInline{}, Catalog: catalog, Guard: guard, Audit: events, Clock: fixedClock{}, Invalidator: inv}
	ctx := context.Background()
	in := application.NewCatalogEntryInput{ExtensionID: "acme.tool", Name: "Tool", MarketplaceURL: "https://localhost/acme.tool.vsix"}
	if _, err := uc.Execute(ctx, someAdmin, in); domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "marketplace_url") {
		t.Fatalf("private marketplace_url: %v, want invalid naming marketplace_url", err)
	}
	if catalog.writes != 0 || len(events.events) != 0 {
		t.Fatal("a refused entry was stored or audited")
	}
	in.MarketplaceURL = "https://marketplace.example.com/acme.tool.vsix"
	if _, err := uc.Execute(ctx, someAdmin, in); err != nil || inv.all != 0 || len(events.ofType(audit.ExtensionCreated)) != 1 {
		t.Fatalf("an unblocked entry: %v, %d invalidations, %d audit rows; want no invalidation and one row", err, inv.all, len(events.events))
	}
	if _, err := uc.Execute(ctx, someAdmin, in); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("the same extension id again: %v, want conflict", err)
	}
	blocked := application.NewCatalogEntryInput{ExtensionID: "evil.tool", Name: "Evil", IsBlocked: true, BlockReason: "malware"}
	if _, err := uc.Execute(ctx, someAdmin, blocked); err != nil || inv.all != 1 {
		t.Fatalf("a blocked entry: %v, %d invalidations; want 1", err, inv.all)
	}
}
