package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// RemoveAssignment takes a catalog entry off a group.
type RemoveAssignment struct {
	Tx          Transactor
	Assignments AssignmentRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute removes the assignment. Errors: not_found (not assigned, or an
// unknown group or entry).
func (uc RemoveAssignment) Execute(ctx context.Context, actor audit.Actor, groupID, entryID domain.ID) (err error) {
	ctx, obs := observe(ctx, "RemoveAssignment")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		a, err := uc.Assignments.Get(ctx, groupID, entryID)
		if err != nil {
			return err
		}
		if err := uc.Assignments.Delete(ctx, groupID, entryID); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AssignmentRemoved, Actor: actor, GroupID: groupID,
			TargetType: audit.TargetAssignment, TargetID: a.ID,
			Details: map[string]any{"extension_id": a.Entry.ExtensionID().String(), "before": map[string]any{"is_required": a.IsRequired}}})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, groupID)
	}
	return err
}
