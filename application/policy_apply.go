package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// ApplyPolicy applies a policy file in one transaction, only if the state is
// still at the revision its plan was made against. Every change is audited
// with the same change_set_id; applying the same file again changes nothing
// and writes no audit row.
type ApplyPolicy struct {
	Tx             Transactor
	Store          PolicyStore
	Groups         GroupRepository
	Catalog        CatalogRepository
	Assignments    AssignmentRepository
	Blocklist      BlocklistRepository
	Keys           APIKeyRepository
	KeyInvalidator APIKeyInvalidator
	Guard          TargetGuard
	Audit          AuditLog
	Clock          Clock
	Invalidator    PolicyInvalidator
}

// AppliedPolicy is what an apply did. ChangeSetID is zero when nothing changed.
type AppliedPolicy struct {
	ChangeSetID domain.ID
	Revision    string // the state after the apply
	Changes     []PolicyChange
}

// Execute applies f against revision. Errors: invalid (no revision, a bad
// reference), conflict (the state moved on since the plan; plan again, or
// prune of a group with agents), unavailable.
func (uc ApplyPolicy) Execute(ctx context.Context, actor audit.Actor, f PolicyFile, prune bool, revision string) (_ AppliedPolicy, err error) {
	ctx, obs := observe(ctx, "ApplyPolicy")
	defer obs.end(&err)
	if revision == "" {
		return AppliedPolicy{}, domain.Invalid("invalid apply", domain.FieldError{Field: "revision", Message: "is required: the revision of the plan being applied"})
	}
	var out AppliedPolicy
	var revoked []domain.ID
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		out, revoked = AppliedPolicy{Changes: []PolicyChange{}}, nil
		// Held to the end of the transaction: no other writer, the REST API
		// included, can move the policy between the revision check and the
		// last change.
		if err := uc.Store.Lock(ctx); err != nil {
			return err
		}
		current, err := uc.Store.Read(ctx)
		if err != nil {
			return err
		}
		if policyRevision(current) != revision {
			return domain.Conflict("the policy changed since this plan (revision " + revision + "); plan again")
		}
		steps, err := preparePolicy(ctx, uc.Groups, uc.Guard, current, f, prune)
		if err != nil || len(steps) == 0 {
			out.Revision = revision
			return err
		}
		w := policyWriter{uc: uc, actor: actor, changeSet: domain.NewID(), now: uc.Clock.Now(), groups: map[string]domain.ID{}, entries: map[string]domain.ID{}}
		w.index(current)
		for _, st := range steps {
			if err := w.apply(ctx, st); err != nil {
				return err
			}
			out.Changes = append(out.Changes, st.change)
		}
		out.ChangeSetID, revoked = w.changeSet, w.revoked
		after, err := uc.Store.Read(ctx)
		out.Revision = policyRevision(after)
		return err
	})
	if err == nil && len(out.Changes) > 0 {
		// Catalog and blocklist changes reach every group's policy; one
		// invalidation of all is also what a group change needs.
		notifyAllGroups(ctx, uc.Invalidator)
		for _, k := range revoked {
			uc.KeyInvalidator.KeyChanged(ctx, k)
		}
	}
	return out, err
}
