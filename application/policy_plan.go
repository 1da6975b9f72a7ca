package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/extguard/extguard/domain/blocklist"
)

// PolicyFile is a parsed, validated policy file (adapters/policyfile): the
// policy by natural keys. Version 1 holds the blocklist.
type PolicyFile struct {
	Blocklist []blocklist.Entry
}

// BlockKey is a blocklist entry's natural key.
type BlockKey struct {
	PatternType blocklist.PatternType
	Pattern     string
}

// BlockKeyOf is e's natural key.
func BlockKeyOf(e blocklist.Entry) BlockKey { return BlockKey{e.PatternType(), e.Pattern().String()} }

// String is the key as shown, e.g. "publisher evil".
func (k BlockKey) String() string { return string(k.PatternType) + " " + k.Pattern }

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
	Resource string // "blocklist"
	Key      string // the natural key, e.g. "publisher evil"
	Action   ChangeAction
	Before   map[string]any
	After    map[string]any
}

// PolicyPlan is what applying a file would change now, and its impact.
type PolicyPlan struct {
	// Revision identifies the state the plan was made against; apply refuses
	// to run on another.
	Revision string
	Changes  []PolicyChange
	// Impact is what the blocks the plan adds (created or reactivated
	// entries, changed patterns) would block now, per group.
	Impact Impact
}

// PlanPolicy diffs a policy file against the current state by natural keys.
// It writes nothing. Entries the file does not mention are deleted only
// with prune.
type PlanPolicy struct {
	Blocklist BlocklistRepository
	Impact    BlockImpact
}

// Execute plans f. Errors: unavailable.
func (uc PlanPolicy) Execute(ctx context.Context, f PolicyFile, prune bool) (_ PolicyPlan, err error) {
	ctx, obs := observe(ctx, "PlanPolicy")
	defer obs.end(&err)
	current, err := allBlocklist(ctx, uc.Blocklist)
	if err != nil {
		return PolicyPlan{}, err
	}
	steps, adds := diffBlocklist(current, f, prune)
	plan := PolicyPlan{Revision: blocklistRevision(current), Changes: make([]PolicyChange, len(steps))}
	for i, st := range steps {
		plan.Changes[i] = st.change
	}
	plan.Impact, err = uc.Impact.Of(ctx, adds, ImpactSample)
	return plan, err
}

// blockStep is one change with what it needs to be applied: the stored
// entry (for its id; zero for a create) and the wanted one (zero for a delete).
type blockStep struct {
	change PolicyChange
	stored blocklist.Entry
	wanted blocklist.Entry
}

// diffBlocklist compares the stored entries with the file's by natural key,
// in key order, and lists the patterns that start blocking (created or
// reactivated).
func diffBlocklist(current []blocklist.Entry, f PolicyFile, prune bool) ([]blockStep, []blocklist.Pattern) {
	byKey := map[BlockKey]blocklist.Entry{}
	for _, e := range current {
		byKey[BlockKeyOf(e)] = e
	}
	var steps []blockStep
	var adds []blocklist.Pattern
	wanted := map[BlockKey]bool{}
	for _, e := range f.Blocklist {
		key := BlockKeyOf(e)
		wanted[key] = true
		cur, exists := byKey[key]
		ch := PolicyChange{Resource: "blocklist", Key: key.String(), After: blocklistEntryDetails(e)}
		switch {
		case !exists:
			ch.Action = ChangeCreate
			steps = append(steps, blockStep{change: ch, wanted: e})
		case cur.Reason() != e.Reason() || cur.IsActive() != e.IsActive():
			ch.Action, ch.Before = ChangeUpdate, blocklistEntryDetails(cur)
			steps = append(steps, blockStep{change: ch, stored: cur, wanted: e})
		}
		if e.IsActive() && (!exists || !cur.IsActive()) {
			adds = append(adds, e.Pattern())
		}
	}
	if prune {
		for _, e := range current {
			if key := BlockKeyOf(e); !wanted[key] {
				steps = append(steps, blockStep{stored: e, change: PolicyChange{Resource: "blocklist", Key: key.String(),
					Action: ChangeDelete, Before: blocklistEntryDetails(e)}})
			}
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].change.Key < steps[j].change.Key })
	return steps, adds
}

// allBlocklist reads every entry, page by page.
func allBlocklist(ctx context.Context, r BlocklistRepository) ([]blocklist.Entry, error) {
	var out []blocklist.Entry
	page := PageRequest{Limit: MaxPageLimit}
	for {
		p, err := r.List(ctx, BlocklistFilter{}, page)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out, nil
		}
		page.Cursor = p.NextCursor
	}
}

// blocklistRevision hashes the blocklist's natural keys and fields, so any
// change to it, by a plan's apply or anyone else, changes the revision.
func blocklistRevision(entries []blocklist.Entry) string {
	rows := make([]map[string]any, len(entries))
	for i, e := range entries {
		rows[i] = blocklistEntryDetails(e)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return a["pattern_type"].(string)+" "+a["pattern"].(string) < b["pattern_type"].(string)+" "+b["pattern"].(string)
	})
	doc, _ := json.Marshal(rows) // maps of strings and booleans
	sum := sha256.Sum256(doc)
	return "r-" + hex.EncodeToString(sum[:16])
}

// ExportPolicy answers the current policy as a policy file, in natural-key
// order, so that planning it back changes nothing.
type ExportPolicy struct{ Blocklist BlocklistRepository }

// Execute reads the policy. Errors: unavailable.
func (uc ExportPolicy) Execute(ctx context.Context) (_ PolicyFile, err error) {
	ctx, obs := observe(ctx, "ExportPolicy")
	defer obs.end(&err)
	entries, err := allBlocklist(ctx, uc.Blocklist)
	sort.Slice(entries, func(i, j int) bool { return BlockKeyOf(entries[i]).String() < BlockKeyOf(entries[j]).String() })
	return PolicyFile{Blocklist: entries}, err
}
