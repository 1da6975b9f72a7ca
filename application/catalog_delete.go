package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteCatalogEntry soft-deletes a catalog entry and removes its
// assignments in the same transaction, so no group keeps requiring an
// extension the catalog no longer vouches for.
type DeleteCatalogEntry struct {
	Tx          Transactor
	Catalog     CatalogRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute deletes the entry. Errors: not_found (also when already deleted).
func (uc DeleteCatalogEntry) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteCatalogEntry")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err := uc.Catalog.Get(ctx, id)
		if err != nil {
			return err
		}
		groups, err := uc.Catalog.Delete(ctx, id, uc.Clock.Now())
		if err != nil {
			return err
		}
		ids := make([]string, len(groups))
		for i, g := range groups {
			ids[i] = g.String()
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionDeleted, Actor: actor,
			TargetType: audit.TargetExtension, TargetID: id,
			Details: map[string]any{"before": catalogEntryDetails(e), "unassigned_from_groups": ids}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return err
}
