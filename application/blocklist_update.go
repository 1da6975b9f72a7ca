package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

// UpdateBlocklistEntry changes a blocklist entry (pattern, reason, active).
type UpdateBlocklistEntry struct {
	Tx          Transactor
	Blocklist   BlocklistRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// BlocklistChanges is the PATCH body: nil fields stay.
type BlocklistChanges struct {
	PatternType *string
	Pattern     *string
	Reason      *string
	IsActive    *bool
}

// Execute applies the changes. Errors: not_found, invalid, conflict.
func (uc UpdateBlocklistEntry) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in BlocklistChanges) (_ blocklist.Entry, err error) {
	ctx, obs := observe(ctx, "UpdateBlocklistEntry")
	defer obs.end(&err)
	var before, next blocklist.Entry
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		next, err = uc.Blocklist.Update(ctx, id, func(current blocklist.Entry) (blocklist.Entry, error) {
			before = current
			return current.WithChanges(blocklist.EntryPatch{PatternType: in.PatternType, Pattern: in.Pattern,
				Reason: in.Reason, IsActive: in.IsActive, At: uc.Clock.Now()})
		})
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.BlocklistUpdated, Actor: actor,
			TargetType: audit.TargetBlocklist, TargetID: id,
			Details: map[string]any{"before": blocklistEntryDetails(before), "after": blocklistEntryDetails(next)}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return next, err
}
