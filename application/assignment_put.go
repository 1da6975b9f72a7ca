package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// PutAssignment assigns a catalog entry to a group (or changes whether it
// is required): idempotent, as PUT is.
type PutAssignment struct {
	Tx          Transactor
	Groups      GroupRepository
	Catalog     CatalogRepository
	Assignments AssignmentRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute answers the assignment and whether it was created. Errors:
// not_found (group or catalog entry).
func (uc PutAssignment) Execute(ctx context.Context, actor audit.Actor, groupID, entryID domain.ID, required bool) (_ Assignment, _ bool, err error) {
	ctx, obs := observe(ctx, "PutAssignment")
	defer obs.end(&err)
	var a Assignment
	var created bool
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := uc.Groups.Get(ctx, groupID); err != nil {
			return err
		}
		entry, err := uc.Catalog.Get(ctx, entryID)
		if err != nil {
			return err
		}
		before, err := uc.Assignments.Get(ctx, groupID, entryID)
		existed := err == nil
		if err != nil && domain.CodeOf(err) != domain.CodeNotFound {
			return err
		}
		a = Assignment{ID: domain.NewID(), GroupID: groupID, Entry: entry, IsRequired: required, AddedBy: userID(actor), CreatedAt: uc.Clock.Now()}
		if existed {
			// A PUT keeps an approval's expiry (docs/requests.md): it
			// changes whether the extension is required, not for how long.
			a.ID, a.AddedBy, a.CreatedAt, a.ExpiresAt = before.ID, before.AddedBy, before.CreatedAt, before.ExpiresAt
			if before.IsRequired == required {
				return nil // nothing changes, nothing to audit
			}
		}
		if created, err = uc.Assignments.Put(ctx, a); err != nil {
			return err
		}
		details := map[string]any{"extension_id": entry.ExtensionID().String(), "after": map[string]any{"is_required": required}}
		if existed {
			details["before"] = map[string]any{"is_required": before.IsRequired}
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AssignmentSet, Actor: actor, GroupID: groupID,
			TargetType: audit.TargetAssignment, TargetID: a.ID, Details: details})
	})
	if err == nil {
		notifyGroups(ctx, uc.Invalidator, groupID)
	}
	return a, created, err
}

// userID is the users row an actor stands for, for added_by/created_by
// columns that reference users: API keys and the system have none.
func userID(actor audit.Actor) domain.ID {
	if actor.Type == audit.ActorUser {
		return actor.ID
	}
	return domain.NilID
}
