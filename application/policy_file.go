package application

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// PolicyFile is a parsed, validated policy file (adapters/policyfile): the
// policy by natural keys, never database ids. A section the file does not
// hold (Sections) is left alone, also with prune: a blocklist-only file
// never deletes groups.
type PolicyFile struct {
	Sections    PolicySections
	Groups      []PolicyGroup
	Catalog     []extension.Entry
	Assignments []PolicyAssignment
	Blocklist   []blocklist.Entry

	// Problems are what the parser found wrong with the file, each by its
	// path. The lists then hold only the entries that parsed, so that a
	// plan also judges those against the server (references, download
	// URLs) and answers every problem at once. A file with problems is
	// never applied.
	Problems []domain.FieldError
	// Unparsed names the groups and catalog entries whose entry has a
	// problem but whose name or id parsed: an assignment naming one is not
	// also a reference to nothing.
	Unparsed PolicyNames
	// Paths are the entries' paths in the file ("catalog[3]") by resource
	// and natural key (SetPath). Without one an entry's path is its index
	// in its list, which is the file's when every entry parsed.
	Paths map[string]string
}

// PolicyNames are groups by name and catalog entries by extension id.
type PolicyNames struct {
	Groups     []string
	Extensions []extension.ExtensionID
}

// SetPath records that the entry of resource with key sits at path.
func (f *PolicyFile) SetPath(resource, key, path string) {
	if f.Paths == nil {
		f.Paths = map[string]string{}
	}
	f.Paths[resource+" "+key] = path
}

// path is the path in the file of the i-th entry of section, of resource
// with key.
func (f PolicyFile) path(resource, key, section string, i int) string {
	if p, ok := f.Paths[resource+" "+key]; ok {
		return p
	}
	return section + "[" + strconv.Itoa(i) + "]"
}

// PolicySections says which sections a file holds (possibly empty lists).
type PolicySections struct {
	Groups, Catalog, Assignments, Blocklist bool
}

// AllSections is every section: what an export holds.
var AllSections = PolicySections{Groups: true, Catalog: true, Assignments: true, Blocklist: true}

// PolicyGroup is a group by its name, with the settings the REST API takes
// (only those set; the rest keep their defaults).
type PolicyGroup struct {
	Name        string
	Description string
	Settings    group.Settings
}

// PolicyAssignment assigns the catalog entry of ExtensionID to the group
// named Group. The pinned version is the catalog entry's (one pin per
// extension, as in the REST API).
type PolicyAssignment struct {
	Group       string
	ExtensionID extension.ExtensionID
	Required    bool
}

// AssignmentKey is an assignment's natural key.
type AssignmentKey struct {
	Group       string
	ExtensionID extension.ExtensionID
}

// String is the key as shown, e.g. "laptops/ms-python.python".
func (k AssignmentKey) String() string { return k.Group + "/" + k.ExtensionID.String() }

// BlockKey is a blocklist entry's natural key.
type BlockKey struct {
	PatternType blocklist.PatternType
	Pattern     string
}

// BlockKeyOf is e's natural key.
func BlockKeyOf(e blocklist.Entry) BlockKey { return BlockKey{e.PatternType(), e.Pattern().String()} }

// String is the key as shown, e.g. "publisher evil".
func (k BlockKey) String() string { return string(k.PatternType) + " " + k.Pattern }

// Resources of a policy file, in the order an apply creates them (it
// deletes in the reverse order: assignments before their catalog entries
// and groups).
const (
	ResourceGroup      = "group"
	ResourceCatalog    = "catalog"
	ResourceAssignment = "assignment"
	ResourceBlocklist  = "blocklist"
)

// PolicyState is the whole policy as stored: live groups, the catalog,
// permanent assignments (an approval's time-limited ones are grants, not
// policy, and are left alone) and the blocklist.
type PolicyState struct {
	Groups      []group.Group
	Catalog     []extension.Entry
	Assignments []Assignment
	Blocklist   []blocklist.Entry
}

// groupByName indexes the state's groups by name.
func (s PolicyState) groupByName() map[string]group.Group {
	out := make(map[string]group.Group, len(s.Groups))
	for _, g := range s.Groups {
		out[g.Name()] = g
	}
	return out
}

// File is the state as a policy file, in natural-key order, so that
// planning it back changes nothing.
func (s PolicyState) File() PolicyFile {
	f := PolicyFile{Sections: AllSections, Catalog: s.Catalog, Blocklist: s.Blocklist}
	names := map[domain.ID]string{}
	for _, g := range s.Groups {
		names[g.ID()] = g.Name()
		f.Groups = append(f.Groups, PolicyGroup{Name: g.Name(), Description: g.Description(), Settings: g.Settings()})
	}
	for _, a := range s.Assignments {
		if name, ok := names[a.GroupID]; ok {
			f.Assignments = append(f.Assignments, PolicyAssignment{Group: name, ExtensionID: a.Entry.ExtensionID(), Required: a.IsRequired})
		}
	}
	return f.normalised()
}

// normalised is f's policy with every list in natural-key order, copied:
// the order of a file's entries changes nothing an apply does.
func (f PolicyFile) normalised() PolicyFile {
	f.Groups = append([]PolicyGroup{}, f.Groups...)
	f.Catalog = append([]extension.Entry{}, f.Catalog...)
	f.Assignments = append([]PolicyAssignment{}, f.Assignments...)
	f.Blocklist = append([]blocklist.Entry{}, f.Blocklist...)
	sort.Slice(f.Groups, func(i, j int) bool { return f.Groups[i].Name < f.Groups[j].Name })
	sort.Slice(f.Catalog, func(i, j int) bool { return f.Catalog[i].ExtensionID() < f.Catalog[j].ExtensionID() })
	sort.Slice(f.Assignments, func(i, j int) bool {
		return AssignmentKey{f.Assignments[i].Group, f.Assignments[i].ExtensionID}.String() <
			AssignmentKey{f.Assignments[j].Group, f.Assignments[j].ExtensionID}.String()
	})
	sort.Slice(f.Blocklist, func(i, j int) bool { return BlockKeyOf(f.Blocklist[i]).String() < BlockKeyOf(f.Blocklist[j]).String() })
	return f
}

// policyGroupDetails is what a plan shows of a group: the settings as the
// file gives them (only those set).
func policyGroupDetails(g PolicyGroup) map[string]any {
	settings := map[string]any{}
	_ = json.Unmarshal(g.Settings.ExplicitJSON(), &settings) // an object of strings and numbers
	return map[string]any{"name": g.Name, "description": g.Description, "settings": settings}
}

// policyCatalogDetails is what a plan compares of a catalog entry: the
// fields the file holds (the content digest is the revalidation worker's).
func policyCatalogDetails(e extension.Entry) map[string]any {
	d := catalogEntryDetails(e)
	delete(d, "extension_id")
	return d
}

func policyAssignmentDetails(a PolicyAssignment) map[string]any {
	return map[string]any{"group": a.Group, "extension_id": a.ExtensionID.String(), "is_required": a.Required}
}
