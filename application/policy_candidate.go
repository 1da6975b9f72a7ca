package application

import (
	"context"
	"strconv"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// preparePolicy diffs f against s and checks what the diff alone cannot:
// every problem of the file (checkPolicyFile), then a pruned group with
// enrolled agents is refused (its machines would go on enforcing a policy
// nobody can see; decommission or move them first, as DELETE /groups/{id}
// says). Errors: invalid, conflict.
func preparePolicy(ctx context.Context, groups GroupRepository, guard TargetGuard, s PolicyState, f PolicyFile, prune bool) ([]policyStep, error) {
	steps := diffPolicy(s, f, prune)
	if err := checkPolicyFile(guard, s, f, steps); err != nil {
		return nil, err
	}
	for _, st := range steps {
		if st.change.Resource != ResourceGroup || st.change.Action != ChangeDelete {
			continue
		}
		n, err := groups.CountEnrolledAgents(ctx, st.storedGroup.ID())
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, domain.Conflict("prune would delete group " + st.storedGroup.Name() + ", which has " + strconv.Itoa(n) +
				" enrolled agents; keep it in the file, or decommission its agents first")
		}
	}
	return steps, nil
}

// checkPolicyFile answers every problem of f at once, each by its path in
// the file: the parser's, then references to nothing, then catalog
// download URLs the REST API's guard refuses. The server's checks judge
// every entry that parsed, also when others did not, so one plan lists
// all a file's problems instead of one stage at a time. Errors: invalid.
func checkPolicyFile(guard TargetGuard, s PolicyState, f PolicyFile, steps []policyStep) error {
	var fe domain.FieldErrors
	for _, p := range f.Problems {
		fe.Add(p.Field, p.Message)
	}
	checkReferences(&fe, s, f, steps)
	for i, e := range f.Catalog {
		if guard != nil {
			fe.Include(f.path(ResourceCatalog, e.ExtensionID().String(), "catalog", i), checkMarketplaceURL(guard, e))
		}
	}
	return fe.Err("invalid policy file")
}

// candidateState is s with steps applied in memory: what the policy would
// be after an apply, for the impact. New resources get fresh ids.
func candidateState(s PolicyState, steps []policyStep, at time.Time) (PolicyState, error) {
	groups := map[string]group.Group{}
	for _, g := range s.Groups {
		groups[g.Name()] = g
	}
	entries := map[extension.ExtensionID]extension.Entry{}
	for _, e := range s.Catalog {
		entries[e.ExtensionID()] = e
	}
	assignments := storedAssignments(s)
	blocks := map[BlockKey]blocklist.Entry{}
	for _, e := range s.Blocklist {
		blocks[BlockKeyOf(e)] = e
	}
	for _, st := range steps {
		var err error
		switch st.change.Resource {
		case ResourceGroup:
			err = applyGroupStep(groups, st, at)
		case ResourceCatalog:
			err = applyCatalogStep(entries, st, at)
		case ResourceAssignment:
			applyAssignmentStep(assignments, st)
		case ResourceBlocklist:
			applyBlockStep(blocks, st)
		}
		if err != nil {
			return PolicyState{}, err
		}
	}
	out := PolicyState{}
	for _, g := range groups {
		out.Groups = append(out.Groups, g)
	}
	for _, e := range entries {
		out.Catalog = append(out.Catalog, e)
	}
	for key, a := range assignments {
		g, gok := groups[key.Group]
		e, eok := entries[key.ExtensionID]
		if gok && eok { // checkReferences made sure of both
			out.Assignments = append(out.Assignments, Assignment{ID: a.ID, GroupID: g.ID(), Entry: e, IsRequired: a.IsRequired})
		}
	}
	for _, e := range blocks {
		out.Blocklist = append(out.Blocklist, e)
	}
	return out, nil
}

func applyGroupStep(groups map[string]group.Group, st policyStep, at time.Time) error {
	switch st.change.Action {
	case ChangeCreate:
		g, err := newPolicyGroup(st.wantedGroup, at)
		groups[g.Name()] = g
		return err
	case ChangeUpdate:
		g, err := changedGroup(st.storedGroup, st.wantedGroup, at)
		groups[g.Name()] = g
		return err
	default:
		delete(groups, st.storedGroup.Name())
		return nil
	}
}

func newPolicyGroup(w PolicyGroup, at time.Time) (group.Group, error) {
	return group.NewGroup(group.GroupParams{Name: w.Name, Description: w.Description, Settings: w.Settings, CreatedAt: at})
}

// changedGroup is the group with the file's description and settings (the
// whole settings: keys the file leaves out go back to their defaults).
func changedGroup(current group.Group, w PolicyGroup, at time.Time) (group.Group, error) {
	return current.WithChanges(group.GroupPatch{Description: &w.Description, Settings: &w.Settings, At: at})
}

func applyCatalogStep(entries map[extension.ExtensionID]extension.Entry, st policyStep, at time.Time) error {
	switch st.change.Action {
	case ChangeCreate:
		entries[st.wantedEntry.ExtensionID()] = st.wantedEntry
	case ChangeUpdate:
		e, err := changedEntry(st.storedEntry, st.wantedEntry, at)
		if err != nil {
			return err
		}
		entries[e.ExtensionID()] = e
	default:
		delete(entries, st.storedEntry.ExtensionID())
	}
	return nil
}

// changedEntry is the stored entry with every field the file holds.
func changedEntry(current, w extension.Entry, at time.Time) (extension.Entry, error) {
	p := w.Params()
	return current.WithChanges(extension.EntryPatch{Name: &p.Name, PinnedVersion: &p.PinnedVersion, SHA256: &p.SHA256,
		MarketplaceURL: &p.MarketplaceURL, IsBlocked: &p.IsBlocked, BlockReason: &p.BlockReason, At: at})
}

func applyAssignmentStep(assignments map[AssignmentKey]Assignment, st policyStep) {
	if st.change.Action == ChangeDelete {
		key := AssignmentKey{st.change.Before["group"].(string), st.storedAssignment.Entry.ExtensionID()}
		delete(assignments, key)
		return
	}
	w := st.wantedAssignment
	a := st.storedAssignment
	if a.ID.IsZero() {
		a.ID = domain.NewID()
	}
	a.IsRequired = w.Required
	assignments[AssignmentKey{w.Group, w.ExtensionID}] = a
}

func applyBlockStep(blocks map[BlockKey]blocklist.Entry, st policyStep) {
	if st.change.Action == ChangeDelete {
		delete(blocks, BlockKeyOf(st.storedBlock))
		return
	}
	blocks[BlockKeyOf(st.wantedBlock)] = st.wantedBlock
}
