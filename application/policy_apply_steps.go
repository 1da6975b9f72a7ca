package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// policyWriter applies one change set's steps through the resources' own
// repositories, auditing each step as the REST API audits that change, plus
// the change_set_id.
type policyWriter struct {
	uc        ApplyPolicy
	actor     audit.Actor
	changeSet domain.ID
	now       time.Time
	groups    map[string]domain.ID // by name, created ones included
	entries   map[string]domain.ID // catalog entries by extension id
	revoked   []domain.ID          // API keys of deleted groups
}

func (w *policyWriter) index(s PolicyState) {
	for _, g := range s.Groups {
		w.groups[g.Name()] = g.ID()
	}
	for _, e := range s.Catalog {
		w.entries[e.ExtensionID().String()] = e.ID()
	}
}

func (w *policyWriter) apply(ctx context.Context, st policyStep) error {
	ev := audit.EventParams{Actor: w.actor, Details: map[string]any{"change_set_id": w.changeSet.String()}}
	var err error
	switch st.change.Resource {
	case ResourceGroup:
		err = w.group(ctx, st, &ev)
	case ResourceCatalog:
		err = w.entry(ctx, st, &ev)
	case ResourceAssignment:
		err = w.assignment(ctx, st, &ev)
	case ResourceBlocklist:
		err = w.block(ctx, st, &ev)
	}
	if err != nil {
		return err
	}
	return appendEvent(ctx, w.uc.Audit, w.uc.Clock, ev)
}

func (w *policyWriter) group(ctx context.Context, st policyStep, ev *audit.EventParams) error {
	ev.TargetType = audit.TargetGroup
	switch st.change.Action {
	case ChangeCreate:
		g, err := newPolicyGroup(st.wantedGroup, w.now)
		if err == nil {
			err = w.uc.Groups.Create(ctx, g)
		}
		w.groups[g.Name()] = g.ID()
		ev.Type, ev.GroupID, ev.TargetID, ev.Details["after"] = audit.GroupCreated, g.ID(), g.ID(), groupDetails(g)
		return err
	case ChangeUpdate:
		next, err := w.uc.Groups.Update(ctx, st.storedGroup.ID(), func(current group.Group) (group.Group, error) {
			return changedGroup(current, st.wantedGroup, w.now)
		})
		ev.Type, ev.GroupID, ev.TargetID = audit.GroupUpdated, st.storedGroup.ID(), st.storedGroup.ID()
		ev.Details["before"], ev.Details["after"] = groupDetails(st.storedGroup), groupDetails(next)
		return err
	default:
		id := st.storedGroup.ID()
		if err := w.uc.Groups.Delete(ctx, id, w.now); err != nil {
			return err
		}
		revoked, err := revokeGroupKeys(ctx, w.uc.Keys, id, w.now)
		w.revoked = append(w.revoked, revoked...)
		ev.Type, ev.GroupID, ev.TargetID = audit.GroupDeleted, id, id
		ev.Details["before"], ev.Details["api_keys_revoked"] = groupDetails(st.storedGroup), len(revoked)
		return err
	}
}

func (w *policyWriter) entry(ctx context.Context, st policyStep, ev *audit.EventParams) error {
	ev.TargetType = audit.TargetExtension
	switch st.change.Action {
	case ChangeCreate:
		p := st.wantedEntry.Params()
		p.CreatedAt, p.UpdatedAt = w.now, w.now
		e, err := extension.NewEntry(p)
		if err != nil {
			return err
		}
		w.entries[e.ExtensionID().String()] = e.ID()
		ev.Type, ev.TargetID, ev.Details["after"] = audit.ExtensionCreated, e.ID(), catalogEntryDetails(e)
		return w.uc.Catalog.Create(ctx, e)
	case ChangeUpdate:
		next, err := w.uc.Catalog.Update(ctx, st.storedEntry.ID(), func(current extension.Entry) (extension.Entry, error) {
			return changedEntry(current, st.wantedEntry, w.now)
		})
		ev.Type, ev.TargetID = audit.ExtensionUpdated, st.storedEntry.ID()
		ev.Details["before"], ev.Details["after"] = catalogEntryDetails(st.storedEntry), catalogEntryDetails(next)
		return err
	default:
		groups, err := w.uc.Catalog.Delete(ctx, st.storedEntry.ID(), w.now)
		ids := make([]string, len(groups))
		for i, g := range groups {
			ids[i] = g.String()
		}
		ev.Type, ev.TargetID = audit.ExtensionDeleted, st.storedEntry.ID()
		ev.Details["before"], ev.Details["unassigned_from_groups"] = catalogEntryDetails(st.storedEntry), ids
		return err
	}
}

func (w *policyWriter) assignment(ctx context.Context, st policyStep, ev *audit.EventParams) error {
	ev.TargetType = audit.TargetAssignment
	if st.change.Action == ChangeDelete {
		a := st.storedAssignment
		ev.Type, ev.GroupID, ev.TargetID = audit.AssignmentRemoved, a.GroupID, a.ID
		ev.Details["extension_id"], ev.Details["before"] = a.Entry.ExtensionID().String(), map[string]any{"is_required": a.IsRequired}
		return w.uc.Assignments.Delete(ctx, a.GroupID, a.Entry.ID())
	}
	want := st.wantedAssignment
	entry, err := w.uc.Catalog.Get(ctx, w.entries[want.ExtensionID.String()])
	if err != nil {
		return err
	}
	a := Assignment{ID: domain.NewID(), GroupID: w.groups[want.Group], Entry: entry, IsRequired: want.Required, AddedBy: userID(w.actor), CreatedAt: w.now}
	if st.change.Action == ChangeUpdate {
		prev := st.storedAssignment
		a.ID, a.AddedBy, a.CreatedAt = prev.ID, prev.AddedBy, prev.CreatedAt
		ev.Details["before"] = map[string]any{"is_required": prev.IsRequired}
	}
	ev.Details["extension_id"], ev.Details["after"] = want.ExtensionID.String(), map[string]any{"is_required": want.Required}
	ev.Type, ev.GroupID = audit.AssignmentSet, a.GroupID
	created, err := w.uc.Assignments.Put(ctx, a)
	if err == nil && !created && st.change.Action == ChangeCreate {
		a.ID, err = w.madePermanent(ctx, a, ev)
	}
	ev.TargetID = a.ID
	return err
}

// madePermanent answers the id of the row a create found: the group held
// an approval's time-limited assignment of the entry, which the plan
// (reading permanent ones only) showed as created. The file's assignment
// is policy, so Put, with no expiry, made that row permanent, keeping its
// id, which the audit row must name.
func (w *policyWriter) madePermanent(ctx context.Context, a Assignment, ev *audit.EventParams) (domain.ID, error) {
	row, err := w.uc.Assignments.Get(ctx, a.GroupID, a.Entry.ID())
	ev.Details["time_limited_made_permanent"] = true
	return row.ID, err
}

func (w *policyWriter) block(ctx context.Context, st policyStep, ev *audit.EventParams) error {
	ev.TargetType = audit.TargetBlocklist
	switch st.change.Action {
	case ChangeCreate:
		active := st.wantedBlock.IsActive()
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: string(st.wantedBlock.PatternType()), Pattern: st.wantedBlock.Pattern().String(),
			Reason: st.wantedBlock.Reason(), IsActive: &active, CreatedBy: userID(w.actor), CreatedAt: w.now})
		if err != nil {
			return err
		}
		ev.Type, ev.TargetID, ev.Details["after"] = audit.BlocklistCreated, e.ID(), blocklistEntryDetails(e)
		return w.uc.Blocklist.Create(ctx, e)
	case ChangeUpdate:
		reason, active := st.wantedBlock.Reason(), st.wantedBlock.IsActive()
		next, err := w.uc.Blocklist.Update(ctx, st.storedBlock.ID(), func(current blocklist.Entry) (blocklist.Entry, error) {
			return current.WithChanges(blocklist.EntryPatch{Reason: &reason, IsActive: &active, At: w.now})
		})
		ev.Type, ev.TargetID = audit.BlocklistUpdated, st.storedBlock.ID()
		ev.Details["before"], ev.Details["after"] = blocklistEntryDetails(st.storedBlock), blocklistEntryDetails(next)
		return err
	default:
		ev.Type, ev.TargetID, ev.Details["before"] = audit.BlocklistDeleted, st.storedBlock.ID(), blocklistEntryDetails(st.storedBlock)
		return w.uc.Blocklist.Delete(ctx, st.storedBlock.ID(), w.now)
	}
}
