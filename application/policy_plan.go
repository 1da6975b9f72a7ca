package application

import (
	"cmp"
	"context"

	"github.com/extguard/extguard/domain/blocklist"
)

// PolicyPlan is what applying a file would change now, and its impact.
type PolicyPlan struct {
	// Revision identifies the state the plan was made against (groups,
	// catalog, assignments and blocklist together) and what was planned
	// (the file's policy and prune); apply refuses another state or file.
	Revision string
	Changes  []PolicyChange
	// Impact is what the blocks the plan adds (created or reactivated
	// entries) would block now, per group: installations, as
	// POST /blocklist/impact counts them.
	Impact Impact
	// Verdicts is the truth: every group's current and candidate policy
	// evaluated against its agents' current inventory.
	Verdicts VerdictImpact
}

// PlanPolicy diffs a policy file against the current state by natural keys.
// It writes nothing. What the file does not mention is deleted only with
// prune, and only in the sections the file holds.
type PlanPolicy struct {
	Store    PolicyStore
	Groups   GroupRepository
	Guard    TargetGuard
	Clock    Clock
	Impact   BlockImpact
	Verdicts PolicyImpact
}

// Execute plans f. Errors: invalid (the file's own problems, references to
// nothing and private download URLs, all at once), conflict (prune of a
// group with agents), unavailable.
func (uc PlanPolicy) Execute(ctx context.Context, f PolicyFile, prune bool) (_ PolicyPlan, err error) {
	ctx, obs := observe(ctx, "PlanPolicy")
	defer obs.end(&err)
	s, err := uc.Store.Read(ctx)
	if err != nil {
		return PolicyPlan{}, err
	}
	steps, err := preparePolicy(ctx, uc.Groups, uc.Guard, s, f, prune)
	if err != nil {
		return PolicyPlan{}, err
	}
	plan := PolicyPlan{Revision: revisionOf(s, f, prune).String(), Changes: changesOf(steps)}
	candidate, err := candidateState(s, steps, uc.Clock.Now())
	if err != nil {
		return PolicyPlan{}, err
	}
	// The two impacts read the same installations independently: the
	// block counts are one statement in PostgreSQL while the verdicts are
	// judged in Go, so they overlap.
	var impactErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		plan.Impact, impactErr = uc.Impact.Of(ctx, addedBlocks(steps), ImpactSample)
	}()
	plan.Verdicts, err = uc.Verdicts.Of(ctx, s, candidate)
	<-done
	return plan, cmp.Or(err, impactErr)
}

func changesOf(steps []policyStep) []PolicyChange {
	out := make([]PolicyChange, len(steps))
	for i, st := range steps {
		out[i] = st.change
	}
	return out
}

// addedBlocks are the patterns that start blocking: created active or
// reactivated entries.
func addedBlocks(steps []policyStep) []blocklist.Pattern {
	var out []blocklist.Pattern
	for _, st := range steps {
		if st.change.Resource != ResourceBlocklist || st.change.Action == ChangeDelete || !st.wantedBlock.IsActive() {
			continue
		}
		if st.change.Action == ChangeCreate || !st.storedBlock.IsActive() {
			out = append(out, st.wantedBlock.Pattern())
		}
	}
	return out
}
