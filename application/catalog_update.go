package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// UpdateCatalogEntry changes a catalog entry. Every group's policy may
// depend on it (catalog blocks apply everywhere), so all are invalidated.
type UpdateCatalogEntry struct {
	Tx          Transactor
	Catalog     CatalogRepository
	Guard       TargetGuard
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// CatalogEntryChanges is the PATCH body: nil fields stay.
type CatalogEntryChanges struct {
	ExtensionID    *string
	Name           *string
	PinnedVersion  *string
	SHA256         *string
	MarketplaceURL *string
	IsBlocked      *bool
	BlockReason    *string
}

// Execute applies the changes. Errors: not_found, invalid (a private
// marketplace_url too), conflict.
func (uc UpdateCatalogEntry) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in CatalogEntryChanges) (_ extension.Entry, err error) {
	ctx, obs := observe(ctx, "UpdateCatalogEntry")
	defer obs.end(&err)
	var before, next extension.Entry
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		// Patched on the locked row: a block revalidation committed meanwhile stays.
		next, err = uc.Catalog.Update(ctx, id, func(current extension.Entry) (extension.Entry, error) {
			before = current
			changed, err := current.WithChanges(extension.EntryPatch{ExtensionID: in.ExtensionID, Name: in.Name,
				PinnedVersion: in.PinnedVersion, SHA256: in.SHA256, MarketplaceURL: in.MarketplaceURL,
				IsBlocked: in.IsBlocked, BlockReason: in.BlockReason, At: uc.Clock.Now()})
			if err == nil && in.MarketplaceURL != nil {
				err = checkMarketplaceURL(uc.Guard, changed)
			}
			return changed, err
		})
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionUpdated, Actor: actor,
			TargetType: audit.TargetExtension, TargetID: id,
			Details: map[string]any{"before": catalogEntryDetails(before), "after": catalogEntryDetails(next)}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return next, err
}
