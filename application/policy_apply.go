package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
)

// ApplyPolicy applies a policy file in one transaction, only if the state is
// still at the revision its plan was made against. Every change is audited
// with the same change_set_id; applying the same file again changes nothing
// and writes no audit row.
type ApplyPolicy struct {
	Tx          Transactor
	Blocklist   BlocklistRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// AppliedPolicy is what an apply did. ChangeSetID is zero when nothing changed.
type AppliedPolicy struct {
	ChangeSetID domain.ID
	Revision    string // the state after the apply
	Changes     []PolicyChange
}

// Execute applies f against revision. Errors: invalid (no revision),
// conflict (the state moved on since the plan; plan again), unavailable.
func (uc ApplyPolicy) Execute(ctx context.Context, actor audit.Actor, f PolicyFile, prune bool, revision string) (_ AppliedPolicy, err error) {
	ctx, obs := observe(ctx, "ApplyPolicy")
	defer obs.end(&err)
	if revision == "" {
		return AppliedPolicy{}, domain.Invalid("invalid apply", domain.FieldError{Field: "revision", Message: "is required: the revision of the plan being applied"})
	}
	var out AppliedPolicy
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		out = AppliedPolicy{Changes: []PolicyChange{}}
		// Held to the end of the transaction: no other writer can move the
		// blocklist between the revision check and the last change.
		if err := uc.Blocklist.LockAll(ctx); err != nil {
			return err
		}
		current, err := allBlocklist(ctx, uc.Blocklist)
		if err != nil {
			return err
		}
		if blocklistRevision(current) != revision {
			return domain.Conflict("the policy changed since this plan (revision " + revision + "); plan again")
		}
		steps, _ := diffBlocklist(current, f, prune)
		if len(steps) == 0 {
			out.Revision = revision
			return nil
		}
		out.ChangeSetID = domain.NewID()
		for _, st := range steps {
			if err := uc.apply(ctx, actor, out.ChangeSetID, st); err != nil {
				return err
			}
			out.Changes = append(out.Changes, st.change)
		}
		after, err := allBlocklist(ctx, uc.Blocklist)
		out.Revision = blocklistRevision(after)
		return err
	})
	if err == nil && len(out.Changes) > 0 {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return out, err
}

func (uc ApplyPolicy) apply(ctx context.Context, actor audit.Actor, changeSet domain.ID, st blockStep) error {
	now := uc.Clock.Now()
	ev := audit.EventParams{Actor: actor, TargetType: audit.TargetBlocklist, Details: map[string]any{"change_set_id": changeSet.String()}}
	switch st.change.Action {
	case ChangeCreate:
		active := st.wanted.IsActive()
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: string(st.wanted.PatternType()), Pattern: st.wanted.Pattern().String(),
			Reason: st.wanted.Reason(), IsActive: &active, CreatedBy: userID(actor), CreatedAt: now})
		if err != nil {
			return err
		}
		if err := uc.Blocklist.Create(ctx, e); err != nil {
			return err
		}
		ev.Type, ev.TargetID, ev.Details["after"] = audit.BlocklistCreated, e.ID(), blocklistEntryDetails(e)
	case ChangeUpdate:
		reason, active := st.wanted.Reason(), st.wanted.IsActive()
		next, err := uc.Blocklist.Update(ctx, st.stored.ID(), func(current blocklist.Entry) (blocklist.Entry, error) {
			return current.WithChanges(blocklist.EntryPatch{Reason: &reason, IsActive: &active, At: now})
		})
		if err != nil {
			return err
		}
		ev.Type, ev.TargetID = audit.BlocklistUpdated, st.stored.ID()
		ev.Details["before"], ev.Details["after"] = blocklistEntryDetails(st.stored), blocklistEntryDetails(next)
	case ChangeDelete:
		if err := uc.Blocklist.Delete(ctx, st.stored.ID(), now); err != nil {
			return err
		}
		ev.Type, ev.TargetID, ev.Details["before"] = audit.BlocklistDeleted, st.stored.ID(), blocklistEntryDetails(st.stored)
	}
	return appendEvent(ctx, uc.Audit, uc.Clock, ev)
}
