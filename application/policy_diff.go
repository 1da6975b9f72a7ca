package application

import (
	"encoding/json"
	"sort"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// ChangeAction is what a plan does to one resource.
type ChangeAction string

const (
	ChangeCreate ChangeAction = "create"
	ChangeUpdate ChangeAction = "change"
	ChangeDelete ChangeAction = "delete"
)

// PolicyChange is one change of a plan, with the resource's fields before
// and after (nil for a create's before and a delete's after).
type PolicyChange struct {
	Resource string // ResourceGroup, ResourceCatalog, ResourceAssignment or ResourceBlocklist
	Key      string // the natural key, e.g. "publisher evil", "laptops/ms-python.python"
	Action   ChangeAction
	Before   map[string]any
	After    map[string]any
}

// policyStep is one change with what applying it needs: the stored resource
// (for its id; zero for a create) and the wanted one (zero for a delete).
// Only the fields of the change's resource are set.
type policyStep struct {
	change PolicyChange

	storedGroup group.Group
	wantedGroup PolicyGroup

	storedEntry, wantedEntry extension.Entry

	storedAssignment Assignment
	wantedAssignment PolicyAssignment

	storedBlock, wantedBlock blocklist.Entry
}

// diffPolicy compares the stored policy with the file's by natural keys,
// section by section (a section the file does not hold is left alone).
// Steps come in apply order: creates and changes of groups, catalog,
// assignments, blocklist, then deletes in the reverse order. References
// are checkReferences'.
func diffPolicy(s PolicyState, f PolicyFile, prune bool) []policyStep {
	var upserts, deletes [4][]policyStep
	if f.Sections.Groups {
		upserts[0], deletes[3] = diffGroups(s, f, prune)
	}
	if f.Sections.Catalog {
		upserts[1], deletes[2] = diffCatalog(s, f, prune)
	}
	if f.Sections.Assignments {
		upserts[2], deletes[1] = diffAssignments(s, f, prune)
	}
	if f.Sections.Blocklist {
		upserts[3], deletes[0] = diffBlocklist(s.Blocklist, f, prune)
	}
	deletes[1] = withCascadedAssignments(s, deletes[1], deletes[2], deletes[3])
	var out []policyStep
	for _, part := range append(upserts[:], deletes[:]...) {
		sort.SliceStable(part, func(i, j int) bool { return part[i].change.Key < part[j].change.Key })
		out = append(out, part...)
	}
	return out
}

func diffGroups(s PolicyState, f PolicyFile, prune bool) (upserts, deletes []policyStep) {
	stored := s.groupByName()
	wanted := map[string]bool{}
	for _, g := range f.Groups {
		wanted[g.Name] = true
		cur, exists := stored[g.Name]
		ch := PolicyChange{Resource: ResourceGroup, Key: g.Name, After: policyGroupDetails(g)}
		switch {
		case !exists:
			ch.Action = ChangeCreate
			upserts = append(upserts, policyStep{change: ch, wantedGroup: g})
		case cur.Description() != g.Description || string(cur.Settings().ExplicitJSON()) != string(g.Settings.ExplicitJSON()):
			ch.Action, ch.Before = ChangeUpdate, policyGroupDetails(storedPolicyGroup(cur))
			upserts = append(upserts, policyStep{change: ch, storedGroup: cur, wantedGroup: g})
		}
	}
	if prune {
		for _, g := range s.Groups {
			if !wanted[g.Name()] {
				deletes = append(deletes, policyStep{storedGroup: g, change: PolicyChange{Resource: ResourceGroup, Key: g.Name(),
					Action: ChangeDelete, Before: policyGroupDetails(storedPolicyGroup(g))}})
			}
		}
	}
	return upserts, deletes
}

func storedPolicyGroup(g group.Group) PolicyGroup {
	return PolicyGroup{Name: g.Name(), Description: g.Description(), Settings: g.Settings()}
}

func diffCatalog(s PolicyState, f PolicyFile, prune bool) (upserts, deletes []policyStep) {
	stored := map[extension.ExtensionID]extension.Entry{}
	for _, e := range s.Catalog {
		stored[e.ExtensionID()] = e
	}
	wanted := map[extension.ExtensionID]bool{}
	for _, e := range f.Catalog {
		wanted[e.ExtensionID()] = true
		cur, exists := stored[e.ExtensionID()]
		ch := PolicyChange{Resource: ResourceCatalog, Key: e.ExtensionID().String(), After: policyCatalogDetails(e)}
		switch {
		case !exists:
			ch.Action = ChangeCreate
			upserts = append(upserts, policyStep{change: ch, wantedEntry: e})
		case !sameDetails(policyCatalogDetails(cur), ch.After):
			ch.Action, ch.Before = ChangeUpdate, policyCatalogDetails(cur)
			upserts = append(upserts, policyStep{change: ch, storedEntry: cur, wantedEntry: e})
		}
	}
	if prune {
		for _, e := range s.Catalog {
			if !wanted[e.ExtensionID()] {
				deletes = append(deletes, policyStep{storedEntry: e, change: PolicyChange{Resource: ResourceCatalog,
					Key: e.ExtensionID().String(), Action: ChangeDelete, Before: policyCatalogDetails(e)}})
			}
		}
	}
	return upserts, deletes
}

func sameDetails(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func diffAssignments(s PolicyState, f PolicyFile, prune bool) (upserts, deletes []policyStep) {
	stored := storedAssignments(s)
	wanted := map[AssignmentKey]bool{}
	for _, a := range f.Assignments {
		key := AssignmentKey{a.Group, a.ExtensionID}
		wanted[key] = true
		cur, exists := stored[key]
		ch := PolicyChange{Resource: ResourceAssignment, Key: key.String(), After: policyAssignmentDetails(a)}
		switch {
		case !exists:
			ch.Action = ChangeCreate
			upserts = append(upserts, policyStep{change: ch, wantedAssignment: a})
		case cur.IsRequired != a.Required:
			ch.Action, ch.Before = ChangeUpdate, policyAssignmentDetails(PolicyAssignment{a.Group, a.ExtensionID, cur.IsRequired})
			upserts = append(upserts, policyStep{change: ch, storedAssignment: cur, wantedAssignment: a})
		}
	}
	if prune {
		for key, a := range stored {
			if !wanted[key] {
				deletes = append(deletes, assignmentDelete(key, a))
			}
		}
	}
	return upserts, deletes
}

func assignmentDelete(key AssignmentKey, a Assignment) policyStep {
	return policyStep{storedAssignment: a, change: PolicyChange{Resource: ResourceAssignment, Key: key.String(), Action: ChangeDelete,
		Before: policyAssignmentDetails(PolicyAssignment{key.Group, key.ExtensionID, a.IsRequired})}}
}

// storedAssignments indexes the stored assignments by natural key.
func storedAssignments(s PolicyState) map[AssignmentKey]Assignment {
	names := map[domain.ID]string{}
	for _, g := range s.Groups {
		names[g.ID()] = g.Name()
	}
	out := map[AssignmentKey]Assignment{}
	for _, a := range s.Assignments {
		if name, ok := names[a.GroupID]; ok {
			out[AssignmentKey{name, a.Entry.ExtensionID()}] = a
		}
	}
	return out
}

// withCascadedAssignments adds the deletes of the assignments of deleted
// catalog entries and groups, which go with them, so the plan shows them.
func withCascadedAssignments(s PolicyState, assignments, catalog, groups []policyStep) []policyStep {
	gone := map[AssignmentKey]bool{}
	for _, st := range assignments {
		gone[AssignmentKey{st.change.Before["group"].(string), extension.ExtensionID(st.change.Before["extension_id"].(string))}] = true
	}
	deletedEntry, deletedGroup := map[domain.ID]bool{}, map[domain.ID]bool{}
	for _, st := range catalog {
		deletedEntry[st.storedEntry.ID()] = true
	}
	for _, st := range groups {
		deletedGroup[st.storedGroup.ID()] = true
	}
	for key, a := range storedAssignments(s) {
		if !gone[key] && (deletedEntry[a.Entry.ID()] || deletedGroup[a.GroupID]) {
			assignments = append(assignments, assignmentDelete(key, a))
		}
	}
	return assignments
}

// checkReferences refuses assignments naming a group or catalog entry that
// neither exists nor is in the file (parsed or not), or that steps delete.
func checkReferences(fe *domain.FieldErrors, s PolicyState, f PolicyFile, steps []policyStep) {
	groups, entries := map[string]bool{}, map[extension.ExtensionID]bool{}
	for _, g := range s.Groups {
		groups[g.Name()] = true
	}
	for _, e := range s.Catalog {
		entries[e.ExtensionID()] = true
	}
	for _, st := range steps {
		switch {
		case st.change.Action != ChangeDelete:
		case st.change.Resource == ResourceGroup:
			delete(groups, st.storedGroup.Name())
		case st.change.Resource == ResourceCatalog:
			delete(entries, st.storedEntry.ExtensionID())
		}
	}
	// What the file holds is never deleted: prune deletes what it leaves out.
	for _, g := range f.Groups {
		groups[g.Name] = true
	}
	for _, name := range f.Unparsed.Groups {
		groups[name] = true
	}
	for _, e := range f.Catalog {
		entries[e.ExtensionID()] = true
	}
	for _, id := range f.Unparsed.Extensions {
		entries[id] = true
	}
	for i, a := range f.Assignments {
		path := f.path(ResourceAssignment, AssignmentKey{a.Group, a.ExtensionID}.String(), "assignments", i)
		if !groups[a.Group] {
			fe.Add(path+".group", "no group "+a.Group+" in the file or on the server")
		}
		if !entries[a.ExtensionID] {
			fe.Add(path+".extension_id", "no catalog entry "+a.ExtensionID.String()+" in the file or on the server")
		}
	}
}

// diffBlocklist compares the stored entries with the file's by natural key.
func diffBlocklist(current []blocklist.Entry, f PolicyFile, prune bool) (upserts, deletes []policyStep) {
	byKey := map[BlockKey]blocklist.Entry{}
	for _, e := range current {
		byKey[BlockKeyOf(e)] = e
	}
	wanted := map[BlockKey]bool{}
	for _, e := range f.Blocklist {
		key := BlockKeyOf(e)
		wanted[key] = true
		cur, exists := byKey[key]
		ch := PolicyChange{Resource: ResourceBlocklist, Key: key.String(), After: blocklistEntryDetails(e)}
		switch {
		case !exists:
			ch.Action = ChangeCreate
			upserts = append(upserts, policyStep{change: ch, wantedBlock: e})
		case cur.Reason() != e.Reason() || cur.IsActive() != e.IsActive():
			ch.Action, ch.Before = ChangeUpdate, blocklistEntryDetails(cur)
			upserts = append(upserts, policyStep{change: ch, storedBlock: cur, wantedBlock: e})
		}
	}
	if prune {
		for _, e := range current {
			if key := BlockKeyOf(e); !wanted[key] {
				deletes = append(deletes, policyStep{storedBlock: e, change: PolicyChange{Resource: ResourceBlocklist, Key: key.String(),
					Action: ChangeDelete, Before: blocklistEntryDetails(e)}})
			}
		}
	}
	return upserts, deletes
}
