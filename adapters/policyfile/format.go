package policyfile

import (
	"go.yaml.in/yaml/v3"

	"github.com/extguard/extguard/application"
)

type fileDoc struct {
	Version   int        `yaml:"version"`
	Blocklist []blockDoc `yaml:"blocklist"`
}

type blockDoc struct {
	PatternType string `yaml:"pattern_type"`
	Pattern     string `yaml:"pattern"`
	Reason      string `yaml:"reason,omitempty"`
	IsActive    bool   `yaml:"is_active"`
}

// Format writes f as a policy file Parse reads back to the same policy.
func Format(f application.PolicyFile) []byte {
	doc := fileDoc{Version: Version, Blocklist: []blockDoc{}}
	for _, e := range f.Blocklist {
		doc.Blocklist = append(doc.Blocklist, blockDoc{PatternType: string(e.PatternType()), Pattern: e.Pattern().String(),
			Reason: e.Reason(), IsActive: e.IsActive()})
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		panic("policyfile: a policy file does not encode: " + err.Error()) // strings and booleans only
	}
	return append([]byte("# extguard policy file; plan it with: extguard policy plan -f FILE\n"), out...)
}
