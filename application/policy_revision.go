package application

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/extguard/extguard/domain"
)

// A plan's revision names both sides of the plan: the state it was made
// against and what was planned (the file's policy, normalised, and prune).
// Apply refuses another file at that revision, so a plan reviewed on a pull
// request cannot carry a file edited after the review, and refuses the
// same file once the state has moved. Clients treat it as opaque; it is
// "r-" + the state's digest + "." + the planned file's digest.
type planRevision struct{ state, file string }

func revisionOf(s PolicyState, f PolicyFile, prune bool) planRevision {
	return planRevision{state: stateDigest(s), file: fileDigest(f, prune)}
}

func (r planRevision) String() string { return "r-" + r.state + "." + r.file }

// parseRevision reads a revision a plan answered. Errors: invalid, naming
// revision (none, a revision of another form, one from before plans named
// their file included, digests that are not lower-case hex).
func parseRevision(raw string) (planRevision, error) {
	if raw == "" {
		return planRevision{}, domain.Invalid("invalid apply", domain.FieldError{Field: "revision", Message: "is required: the revision of the plan being applied"})
	}
	state, file, ok := strings.Cut(strings.TrimPrefix(raw, "r-"), ".")
	if !strings.HasPrefix(raw, "r-") || !ok || len(state) != 32 || len(file) != 64 || !lowerHex(state) || !lowerHex(file) {
		return planRevision{}, domain.Invalid("invalid apply", domain.FieldError{Field: "revision", Message: "is not a revision a plan answered: plan again"})
	}
	return planRevision{state: state, file: file}, nil
}

func lowerHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}

// checkPlannedFile refuses a file other than the one planned at r.
// Errors: conflict.
func (r planRevision) checkPlannedFile(f PolicyFile, prune bool) error {
	if r.file != fileDigest(f, prune) {
		return domain.Conflict("this file (or its prune) differs from the one planned at revision " + r.String() +
			"; plan this file and review that plan")
	}
	return nil
}

// checkState refuses a state other than the one planned against.
// Errors: conflict.
func (r planRevision) checkState(s PolicyState) error {
	if r.state != stateDigest(s) {
		return domain.Conflict("the policy changed since this plan (revision " + r.String() + "); plan again")
	}
	return nil
}

// stateDigest hashes the policy's natural keys and the fields a file holds,
// in the order of an export, so any change to them, by an apply or through
// the REST API, changes it, and nothing else does (a revalidated content
// digest, an agent's report).
func stateDigest(s PolicyState) string {
	sum := sha256.Sum256(policyDoc(s.File()))
	return hex.EncodeToString(sum[:16])
}

// fileDigest hashes what an apply of f with prune does: the sections f
// holds (an absent section is left alone, an empty one pruned), their
// entries in natural-key order by the fields a plan compares, and prune.
// Comments, layout and the order of entries do not count. All 256 bits:
// the digest stands for a reviewed file, so finding another file with the
// same one must be out of reach.
func fileDigest(f PolicyFile, prune bool) string {
	doc, _ := json.Marshal(map[string]any{"prune": prune, "policy": json.RawMessage(policyDoc(f.normalised()))})
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// policyDoc is f's policy as canonical JSON: the sections it holds, each a
// list of the fields a plan compares, in f's order.
func policyDoc(f PolicyFile) []byte {
	doc := map[string][]map[string]any{}
	if f.Sections.Groups {
		doc["groups"] = []map[string]any{}
		for _, g := range f.Groups {
			doc["groups"] = append(doc["groups"], policyGroupDetails(g))
		}
	}
	if f.Sections.Catalog {
		doc["catalog"] = []map[string]any{}
		for _, e := range f.Catalog {
			d := policyCatalogDetails(e)
			d["extension_id"] = e.ExtensionID().String()
			doc["catalog"] = append(doc["catalog"], d)
		}
	}
	if f.Sections.Assignments {
		doc["assignments"] = []map[string]any{}
		for _, a := range f.Assignments {
			doc["assignments"] = append(doc["assignments"], policyAssignmentDetails(a))
		}
	}
	if f.Sections.Blocklist {
		doc["blocklist"] = []map[string]any{}
		for _, e := range f.Blocklist {
			doc["blocklist"] = append(doc["blocklist"], blocklistEntryDetails(e))
		}
	}
	raw, _ := json.Marshal(doc) // maps of strings, numbers and booleans; map keys are sorted
	return raw
}
