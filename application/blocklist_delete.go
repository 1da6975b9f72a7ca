package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteBlocklistEntry soft-deletes a blocklist entry.
type DeleteBlocklistEntry struct {
	Tx          Transactor
	Blocklist   BlocklistRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute deletes the entry. Errors: not_found (also when already deleted).
func (uc DeleteBlocklistEntry) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteBlocklistEntry")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err := uc.Blocklist.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.Blocklist.Delete(ctx, id, uc.Clock.Now()); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.BlocklistDeleted, Actor: actor,
			TargetType: audit.TargetBlocklist, TargetID: id, Details: map[string]any{"before": blocklistEntryDetails(e)}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return err
}
