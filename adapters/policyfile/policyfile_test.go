package policyfile_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/extguard/extguard/adapters/policyfile"
	"github.com/extguard/extguard/domain"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) || e.Code != domain.CodeInvalid {
		t.Fatalf("want an invalid error, got %v", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// TestEveryErrorAtOnceWithItsPath: a file with many mistakes answers all of
// them, each named by its path in the file.
func TestEveryErrorAtOnceWithItsPath(t *testing.T) {
	t.Parallel()
	_, err := policyfile.Parse([]byte(`version: 2
groups: []
blocklist:
  - {pattern_type: publisher, pattern: evil}
  - {pattern_type: shell, pattern: evil}
  - {pattern_type: regex, pattern: "a)|(b"}
  - {pattern_type: exact, pattern: a.b, colour: red}
  - {pattern_type: publisher, pattern: EVIL}
  - {pattern_type: exact, pattern: c.d, is_active: "yes"}
  - {pattern_type: exact, pattern: [x]}
`))
	got := fields(t, err)
	for _, want := range []string{"version", "groups", "blocklist[1].pattern_type", "blocklist[2].pattern",
		"blocklist[3].colour", "blocklist[4]", "blocklist[5].is_active", "blocklist[6].pattern"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is not named: %v", want, got)
		}
	}
	if slices.Contains(got, "blocklist[0]") {
		t.Errorf("a good entry is named: %v", got)
	}
	for _, bad := range []string{"", "[1, 2]", "version: 1\nblocklist: {a: 1}", "blocklist: []", "{version: 1, version: 1}", "\t- x",
		"version: 1\nblocklist: []\n---\nversion: 1\nblocklist: [{pattern_type: publisher, pattern: evil}]\n"} {
		if _, err := policyfile.Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestYAMLAndJSONReadTheSame: JSON is accepted as YAML, natural keys only.
func TestYAMLAndJSONReadTheSame(t *testing.T) {
	t.Parallel()
	y, err := policyfile.Parse([]byte("version: 1\nblocklist:\n  - pattern_type: publisher\n    pattern: Evil\n    reason: malware\n  - {pattern_type: glob, pattern: '*.miner', is_active: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := policyfile.Parse([]byte(`{"version": 1, "blocklist": [{"pattern_type": "publisher", "pattern": "evil", "reason": "malware"}, {"pattern_type": "glob", "pattern": "*.miner", "is_active": false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(y.Blocklist) != 2 || len(j.Blocklist) != 2 {
		t.Fatalf("%d and %d entries", len(y.Blocklist), len(j.Blocklist))
	}
	for i := range y.Blocklist {
		a, b := y.Blocklist[i], j.Blocklist[i]
		if a.Pattern().String() != b.Pattern().String() || a.Reason() != b.Reason() || a.IsActive() != b.IsActive() || a.PatternType() != b.PatternType() {
			t.Errorf("entry %d differs: %v / %v", i, a, b)
		}
	}
	if y.Blocklist[0].Pattern().String() != "evil" || y.Blocklist[1].IsActive() {
		t.Fatalf("entries: %+v", y.Blocklist)
	}
}

// TestSchemaNamesWhatParseReads: every key the parser accepts is in the schema.
func TestSchemaNamesWhatParseReads(t *testing.T) {
	t.Parallel()
	s := policyfile.Schema()
	props := s["properties"].(map[string]any)
	entry := props["blocklist"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"pattern_type", "pattern", "reason", "is_active"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("schema lacks blocklist[].%s", k)
		}
	}
	if _, ok := props["version"]; !ok || s["additionalProperties"] != false {
		t.Errorf("schema top level: %v", s)
	}
}

// TestFormatReadsBack: an exported file parses to the same policy.
func TestFormatReadsBack(t *testing.T) {
	t.Parallel()
	f, err := policyfile.Parse([]byte("version: 1\nblocklist:\n  - {pattern_type: regex, pattern: 'a\\.(b|c): #x', reason: \"malware, \\\"quoted\\\"\"}\n  - {pattern_type: exact, pattern: a.b, is_active: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := policyfile.Parse(policyfile.Format(f))
	if err != nil {
		t.Fatalf("%v\n%s", err, policyfile.Format(f))
	}
	for i := range f.Blocklist {
		a, b := f.Blocklist[i], back.Blocklist[i]
		if a.Pattern().String() != b.Pattern().String() || a.Reason() != b.Reason() || a.IsActive() != b.IsActive() {
			t.Errorf("entry %d: %+v became %+v", i, a, b)
		}
	}
}
