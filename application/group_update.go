package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/group"
)

// UpdateGroup changes a group's name, description or settings. Settings are
// merged key by key (null resets a key to its default) and re-validated as a
// whole.
type UpdateGroup struct {
	Tx          Transactor
	Groups      GroupRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// GroupChanges is the PATCH body: nil fields stay.
type GroupChanges struct {
	Name        *string
	Description *string
	Settings    []byte // nil: unchanged
}

// Execute applies the changes. Errors: not_found, invalid, conflict (name taken).
func (uc UpdateGroup) Execute(ctx context.Context, actor audit.Actor, id domain.ID, in GroupChanges) (_ group.Group, err error) {
	ctx, obs := observe(ctx, "UpdateGroup")
	defer obs.end(&err)
	var before, next group.Group
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		// The merge runs on the locked row, so a concurrent merge of other
		// keys is kept.
		next, err = uc.Groups.Update(ctx, id, func(current group.Group) (group.Group, error) {
			before = current
			return in.apply(current, uc.Clock.Now())
		})
		if err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.GroupUpdated, Actor: actor, GroupID: id,
			TargetType: audit.TargetGroup, TargetID: id,
			Details: map[string]any{"before": groupDetails(before), "after": groupDetails(next)}})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, id)
	}
	return next, err
}

func (in GroupChanges) apply(g group.Group, at time.Time) (group.Group, error) {
	patch := group.GroupPatch{Name: in.Name, Description: in.Description, At: at}
	var fe domain.FieldErrors
	if in.Settings != nil {
		s, err := g.Settings().Merge(in.Settings)
		fe.Include("settings", err)
		patch.Settings = &s
	}
	next, err := g.WithChanges(patch)
	fe.Include("", err)
	return next, fe.Err("invalid group")
}
