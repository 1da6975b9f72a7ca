package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// PolicyStore reads the whole policy in one snapshot and locks it for an
// apply. Writes go through the resources' own repositories, the ones the
// REST API uses, so both write the same rows the same way.
type PolicyStore interface {
	// Read answers the policy as stored now.
	Read(ctx context.Context) (PolicyState, error)
	// Lock keeps every other writer of groups, the catalog, assignments and
	// the blocklist (the REST API's included) waiting until the caller's
	// transaction ends; reads go on. Only inside a transaction.
	Lock(ctx context.Context) error
}

// policyRevision hashes the policy's natural keys and the fields a file
// holds, in the order of an export, so any change to them, by an apply or
// through the REST API, changes the revision, and nothing else does (a
// revalidated content digest, an agent's report).
func policyRevision(s PolicyState) string {
	f := s.File()
	doc := map[string]any{}
	var groups, catalog, assignments, blocks []map[string]any
	for _, g := range f.Groups {
		groups = append(groups, policyGroupDetails(g))
	}
	for _, e := range f.Catalog {
		d := policyCatalogDetails(e)
		d["extension_id"] = e.ExtensionID().String()
		catalog = append(catalog, d)
	}
	for _, a := range f.Assignments {
		assignments = append(assignments, policyAssignmentDetails(a))
	}
	for _, e := range f.Blocklist {
		blocks = append(blocks, blocklistEntryDetails(e))
	}
	doc["groups"], doc["catalog"], doc["assignments"], doc["blocklist"] = groups, catalog, assignments, blocks
	raw, _ := json.Marshal(doc) // maps of strings, numbers and booleans; map keys are sorted
	sum := sha256.Sum256(raw)
	return "r-" + hex.EncodeToString(sum[:16])
}

// ExportPolicy answers the current policy as a policy file, in natural-key
// order, so that planning it back changes nothing.
type ExportPolicy struct{ Store PolicyStore }

// Execute reads the policy. Errors: unavailable.
func (uc ExportPolicy) Execute(ctx context.Context) (_ PolicyFile, err error) {
	ctx, obs := observe(ctx, "ExportPolicy")
	defer obs.end(&err)
	s, err := uc.Store.Read(ctx)
	if err != nil {
		return PolicyFile{}, err
	}
	return s.File(), nil
}
