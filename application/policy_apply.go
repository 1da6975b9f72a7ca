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
	Revision    string // a plan of the same file would answer now: the state after the apply
	Changes     []PolicyChange
}

// Execute applies f at revision, the revision of f's plan. Errors: invalid
// (no revision, the file's problems, a bad reference), conflict (another
// file than the one planned; the state moved on since the plan: plan
// again; prune of a group with agents), unavailable.
func (uc ApplyPolicy) Execute(ctx context.Context, actor audit.Actor, f PolicyFile, prune bool, revision string) (_ AppliedPolicy, err error) {
	ctx, obs := observe(ctx, "ApplyPolicy")
	defer obs.end(&err)
	planned, revisionErr := parseRevision(revision)
	if revisionErr != nil || len(f.Problems) > 0 {
		return AppliedPolicy{}, uc.refuse(ctx, f, prune, revisionErr)
	}
	// The file is checked before anything is locked: it does not depend
	// on the state.
	if err := planned.checkPlannedFile(f, prune); err != nil {
		return AppliedPolicy{}, err
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
		if err := planned.checkState(current); err != nil {
			return err
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
		out.Revision = revisionOf(after, f, prune).String()
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

// refuse answers every problem of a bad file, its own and the server's
// findings on the entries that parsed, as a plan does, with the revision's
// (missing or not a plan's) when it has one. It writes nothing, so it takes
// no lock.
func (uc ApplyPolicy) refuse(ctx context.Context, f PolicyFile, prune bool, revisionErr error) error {
	current, err := uc.Store.Read(ctx)
	if err != nil {
		return err
	}
	_, fileErr := preparePolicy(ctx, uc.Groups, uc.Guard, current, f, prune)
	if revisionErr == nil {
		return fileErr
	}
	// A bad revision and the file's own problems, in one answer; a
	// conflict (a prune of a group with agents) waits for a revision.
	var fe domain.FieldErrors
	fe.Include("", revisionErr)
	switch domain.CodeOf(fileErr) {
	case domain.CodeInvalid:
		fe.Include("", fileErr)
	case domain.CodeUnavailable, domain.CodeInternal:
		return fileErr
	}
	return fe.Err("invalid apply")
}
