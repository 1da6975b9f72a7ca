package policyfile

import (
	"encoding/json"

	"go.yaml.in/yaml/v3"

	"github.com/extguard/extguard/application"
)

// fileDoc is the file's shape for writing; a nil section is left out.
type fileDoc struct {
	Version     int              `yaml:"version"`
	Groups      *[]groupDoc      `yaml:"groups,omitempty"` // pointers: an empty section is written, an absent one is not
	Catalog     *[]catalogDoc    `yaml:"catalog,omitempty"`
	Assignments *[]assignmentDoc `yaml:"assignments,omitempty"`
	Blocklist   *[]blockDoc      `yaml:"blocklist,omitempty"`
}

type groupDoc struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description,omitempty"`
	Settings    map[string]any `yaml:"settings,omitempty"`
}

type catalogDoc struct {
	ExtensionID    string `yaml:"extension_id"`
	Name           string `yaml:"name,omitempty"`
	PinnedVersion  string `yaml:"pinned_version,omitempty"`
	SHA256         string `yaml:"sha256_checksum,omitempty"`
	MarketplaceURL string `yaml:"marketplace_url,omitempty"`
	IsBlocked      bool   `yaml:"is_blocked,omitempty"`
	BlockReason    string `yaml:"block_reason,omitempty"`
}

type assignmentDoc struct {
	Group       string `yaml:"group"`
	ExtensionID string `yaml:"extension_id"`
	Required    bool   `yaml:"required"`
}

type blockDoc struct {
	PatternType string `yaml:"pattern_type"`
	Pattern     string `yaml:"pattern"`
	Reason      string `yaml:"reason,omitempty"`
	IsActive    bool   `yaml:"is_active"`
}

// Format writes f as a policy file Parse reads back to the same policy: the
// sections f holds, each (even when empty) so that a prune of the written
// file keeps what it says.
func Format(f application.PolicyFile) []byte {
	doc := fileDoc{Version: Version}
	if f.Sections.Groups {
		groups := []groupDoc{}
		for _, g := range f.Groups {
			var settings map[string]any
			_ = json.Unmarshal(g.Settings.ExplicitJSON(), &settings) // an object of strings and numbers
			groups = append(groups, groupDoc{Name: g.Name, Description: g.Description, Settings: settings})
		}
		doc.Groups = &groups
	}
	if f.Sections.Catalog {
		catalog := []catalogDoc{}
		for _, e := range f.Catalog {
			name := e.Name()
			if name == e.ExtensionID().Name() {
				name = "" // the default: the id's name
			}
			catalog = append(catalog, catalogDoc{ExtensionID: e.ExtensionID().String(), Name: name, PinnedVersion: e.PinnedVersion(),
				SHA256: e.SHA256(), MarketplaceURL: e.MarketplaceURL(), IsBlocked: e.IsBlocked(), BlockReason: e.BlockReason()})
		}
		doc.Catalog = &catalog
	}
	if f.Sections.Assignments {
		assignments := []assignmentDoc{}
		for _, a := range f.Assignments {
			assignments = append(assignments, assignmentDoc{Group: a.Group, ExtensionID: a.ExtensionID.String(), Required: a.Required})
		}
		doc.Assignments = &assignments
	}
	if f.Sections.Blocklist {
		blocks := []blockDoc{}
		for _, e := range f.Blocklist {
			blocks = append(blocks, blockDoc{PatternType: string(e.PatternType()), Pattern: e.Pattern().String(),
				Reason: e.Reason(), IsActive: e.IsActive()})
		}
		doc.Blocklist = &blocks
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		panic("policyfile: a policy file does not encode: " + err.Error()) // strings, numbers and booleans only
	}
	return append([]byte("# extguard policy file; plan it with: extguard policy plan -f FILE\n"), out...)
}
