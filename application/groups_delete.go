package application

import (
	"context"
	"strconv"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteGroup soft-deletes a group. A group with enrolled agents is refused:
// deleting it would leave machines enforcing a policy nobody can see;
// decommission them (or move them by re-enrolling) first.
type DeleteGroup struct {
	Tx          Transactor
	Groups      GroupRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute deletes the group. Errors: not_found, conflict (agents enrolled).
func (uc DeleteGroup) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, end := observe(ctx, "DeleteGroup")
	defer end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := uc.Groups.Get(ctx, id)
		if err != nil {
			return err
		}
		n, err := uc.Groups.CountEnrolledAgents(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return domain.Conflict("the group has " + strconv.Itoa(n) + " enrolled agents; decommission them first")
		}
		if err := uc.Groups.Delete(ctx, id, uc.Clock.Now()); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, audit.EventParams{Type: audit.GroupDeleted, Actor: actor, GroupID: id,
			TargetType: audit.TargetGroup, TargetID: id, Details: map[string]any{"before": groupDetails(g)}})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, id)
	}
	return err
}
