package application

import (
	"context"

	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

// CreateBlocklistEntry adds a pattern that blocks extensions in every group.
// The pattern is validated and compiled here, never at evaluation time.
type CreateBlocklistEntry struct {
	Tx          Transactor
	Blocklist   BlocklistRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// NewBlocklistInput is the POST body; IsActive nil means active.
type NewBlocklistInput struct {
	PatternType string
	Pattern     string
	Reason      string
	IsActive    *bool
}

// Execute creates the entry. Errors: invalid, conflict (same type and pattern).
func (uc CreateBlocklistEntry) Execute(ctx context.Context, actor audit.Actor, in NewBlocklistInput) (_ blocklist.Entry, err error) {
	ctx, obs := observe(ctx, "CreateBlocklistEntry")
	defer obs.end(&err)
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: in.PatternType, Pattern: in.Pattern, Reason: in.Reason,
		CreatedBy: userID(actor), IsActive: in.IsActive, CreatedAt: uc.Clock.Now()})
	if err != nil {
		return blocklist.Entry{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Blocklist.Create(ctx, e); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.BlocklistCreated, Actor: actor,
			TargetType: audit.TargetBlocklist, TargetID: e.ID(), Details: map[string]any{"after": blocklistEntryDetails(e)}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return e, err
}
