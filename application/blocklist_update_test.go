package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// The patched entry is validated as a whole: changing only the type
// re-judges the stored pattern under the new one, and a refusal changes
// nothing. A good change is audited and invalidates every group.
func TestUpdateBlocklistEntryValidatesThePatchedPattern(t *testing.T) {
	t.Parallel()
	stored := newBlock(t, "regex", `acme\..*`)
	env := newBlocklistEnv(stored)
	_, err := env.update().Execute(context.Background(), someAdmin, stored.ID(), application.BlocklistChanges{PatternType: ptr("exact")})
	env.refusedNothingWritten(t, "a regex turned into an exact id", err)
	_, err = env.update().Execute(context.Background(), someAdmin, stored.ID(), application.BlocklistChanges{Pattern: ptr("")})
	env.refusedNothingWritten(t, "empty pattern", err)

	got, err := env.update().Execute(context.Background(), someAdmin, stored.ID(), application.BlocklistChanges{IsActive: ptr(false)})
	if err != nil || got.IsActive() {
		t.Fatalf("deactivating: %v, active %v", err, got.IsActive())
	}
	if len(env.events.ofType(audit.BlocklistUpdated)) != 1 || env.inv.all != 1 {
		t.Fatalf("%d audit rows, %d invalidations; want 1 and 1", len(env.events.events), env.inv.all)
	}
	if _, err := env.update().Execute(context.Background(), someAdmin, domain.NewID(), application.BlocklistChanges{IsActive: ptr(true)}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown entry: %v, want not_found", err)
	}
}
