package policyfile_test

import (
	"errors"
	"os"
	"slices"
	"strings"
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
colours: []
groups:
  - {name: laptops, settings: {mode: allowlist}}
  - {name: "", description: x}
  - {name: ci, settings: {mode: strict, enforcement: enforce, heartbeat_interval_s: "60", colour: red}}
  - {name: laptops}
  - {name: servers, settings: [mode]}
catalog:
  - {extension_id: ms-python.python, pinned_version: 2024.1.0}
  - {extension_id: "not an id", pinned_version: "1.0.0+build5", sha256_checksum: xyz, marketplace_url: "file:///etc/passwd", is_blocked: "no"}
  - {extension_id: MS-Python.Python}
  - {extension_id: a.b, secret: s3cret}
assignments:
  - {group: laptops, extension_id: ms-python.python, required: true}
  - {group: laptops, extension_id: ms-python.python}
  - {extension_id: "bad id", required: 1}
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
	for _, want := range []string{"version", "colours", "groups[1].name", "groups[2].settings.mode", "groups[2].settings.heartbeat_interval_s",
		"groups[2].settings.colour", "groups[3].name", "groups[4].settings", "catalog[1].extension_id", "catalog[1].pinned_version",
		"catalog[1].sha256_checksum", "catalog[1].marketplace_url", "catalog[1].is_blocked", "catalog[2].extension_id", "catalog[3].secret",
		"assignments[1]", "assignments[2].group", "assignments[2].extension_id", "assignments[2].required", "blocklist[1].pattern_type", "blocklist[2].pattern",
		"blocklist[3].colour", "blocklist[4]", "blocklist[5].is_active", "blocklist[6].pattern"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is not named: %v", want, got)
		}
	}
	for _, good := range []string{"groups[0]", "catalog[0]", "assignments[0]"} {
		for _, g := range got {
			if strings.HasPrefix(g, good) {
				t.Errorf("a good item is named: %s", g)
			}
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

// TestReadKeepsWhatParses: Read answers the entries that parse with every
// problem, each entry's path in the file, and the names of the groups and
// catalog entries that did not parse, so the plan judges the rest and an
// assignment naming a bad entry is no reference to nothing; Parse refuses
// the same file whole.
func TestReadKeepsWhatParses(t *testing.T) {
	t.Parallel()
	src := []byte(`version: 1
groups:
  - {name: " broken ", settings: {mode: strict}}
  - {name: laptops}
catalog:
  - {extension_id: Acme.Bad, pinned_version: "1.0.0+build5"}
  - {extension_id: "not an id"}
  - {extension_id: acme.tool, colour: red}
  - {extension_id: acme.good}
assignments:
  - {group: laptops, extension_id: acme.good, required: maybe}
  - {group: laptops, extension_id: acme.good}
`)
	f := policyfile.Read(src)
	var got []string
	for _, p := range f.Problems {
		got = append(got, p.Field)
	}
	if want := []string{"groups[0].settings.mode", "catalog[0].pinned_version", "catalog[1].extension_id", "catalog[2].colour", "assignments[0].required"}; !slices.Equal(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	if len(f.Groups) != 1 || f.Groups[0].Name != "laptops" || len(f.Catalog) != 1 || f.Catalog[0].ExtensionID() != "acme.good" || len(f.Assignments) != 1 {
		t.Fatalf("parsed %+v", f)
	}
	if !slices.Equal(f.Unparsed.Groups, []string{"broken"}) || len(f.Unparsed.Extensions) != 2 ||
		f.Unparsed.Extensions[0] != "acme.bad" || f.Unparsed.Extensions[1] != "acme.tool" {
		t.Fatalf("unparsed %+v", f.Unparsed)
	}
	if f.Paths["group laptops"] != "groups[1]" || f.Paths["catalog acme.good"] != "catalog[3]" || f.Paths["assignment laptops/acme.good"] != "assignments[1]" {
		t.Fatalf("paths %v", f.Paths)
	}
	if whole, err := policyfile.Parse(src); err == nil || len(whole.Catalog) != 0 {
		t.Fatalf("Parse of a bad file: %v, %d entries", err, len(whole.Catalog))
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

// TestSchemaCoversEverySection: the schema names each section and the keys
// its items take, so editors complete them.
func TestSchemaCoversEverySection(t *testing.T) {
	t.Parallel()
	props := policyfile.Schema()["properties"].(map[string]any)
	want := map[string][]string{
		"groups":      {"name", "description", "settings"},
		"catalog":     {"extension_id", "name", "publisher", "pinned_version", "sha256_checksum", "marketplace_url", "is_blocked", "block_reason"},
		"assignments": {"group", "extension_id", "required"},
	}
	for section, keys := range want {
		item := props[section].(map[string]any)["items"].(map[string]any)
		for _, k := range keys {
			if _, ok := item["properties"].(map[string]any)[k]; !ok {
				t.Errorf("schema lacks %s[].%s", section, k)
			}
		}
		if item["additionalProperties"] != false {
			t.Errorf("%s items take any key", section)
		}
	}
	settings := props["groups"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)["settings"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"mode", "enforcement", "heartbeat_interval_s", "stale_after_s", "offline_after_s"} {
		if _, ok := settings[k]; !ok {
			t.Errorf("schema lacks groups[].settings.%s", k)
		}
	}
}

// TestFormatReadsBackEverySection: a file with all four sections is written
// and read back to the same policy; a section left out stays out.
func TestFormatReadsBackEverySection(t *testing.T) {
	t.Parallel()
	src := `version: 1
groups:
  - {name: laptops, description: dev machines, settings: {mode: blocklist, enforcement: enforce, heartbeat_interval_s: 120}}
  - {name: ci}
catalog:
  - {extension_id: ms-python.python, name: Python, pinned_version: 2024.1.0, sha256_checksum: ` + strings.Repeat("ab", 32) + `}
  - {extension_id: evil.miner, is_blocked: true, block_reason: malware}
assignments:
  - {group: laptops, extension_id: ms-python.python, required: true}
  - {group: ci, extension_id: ms-python.python}
blocklist: []
`
	f, err := policyfile.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Sections.Groups || !f.Sections.Catalog || !f.Sections.Assignments || !f.Sections.Blocklist || len(f.Groups) != 2 || len(f.Catalog) != 2 || len(f.Assignments) != 2 {
		t.Fatalf("parsed %+v", f)
	}
	out := policyfile.Format(f)
	back, err := policyfile.Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.Sections != f.Sections || string(back.Groups[0].Settings.ExplicitJSON()) != `{"mode":"blocklist","enforcement":"enforce","heartbeat_interval_s":120}` ||
		back.Groups[0].Description != "dev machines" || back.Catalog[0].PinnedVersion() != "2024.1.0" || back.Catalog[0].Name() != "Python" ||
		!back.Catalog[1].IsBlocked() || back.Catalog[1].BlockReason() != "malware" || !back.Assignments[0].Required || back.Assignments[1].Required {
		t.Fatalf("read back differently:\n%s\n%+v", out, back)
	}
	only, err := policyfile.Parse([]byte("version: 1\nblocklist: []\n"))
	if err != nil || only.Sections.Groups || only.Sections.Catalog || only.Sections.Assignments || !only.Sections.Blocklist {
		t.Fatalf("a blocklist-only file: %+v %v", only.Sections, err)
	}
	if again, _ := policyfile.Parse(policyfile.Format(only)); again.Sections != only.Sections {
		t.Fatalf("sections written that the file did not hold: %s", policyfile.Format(only))
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

// TestTheDocumentedExampleParses: the full example of docs/policy-as-code.md
// is a valid file holding every section, so it works when pasted.
func TestTheDocumentedExampleParses(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/policy-as-code.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	text = text[strings.Index(text, "## The policy file, plan and apply"):]
	start := strings.Index(text, "```yaml\n") + len("```yaml\n")
	example := text[start : start+strings.Index(text[start:], "```")]
	f, err := policyfile.Parse([]byte(example))
	if err != nil {
		t.Fatalf("%v\n%s", err, example)
	}
	if len(f.Groups) != 2 || len(f.Catalog) != 3 || len(f.Assignments) != 2 || len(f.Blocklist) != 2 {
		t.Fatalf("the example holds %d groups, %d catalog entries, %d assignments, %d blocks", len(f.Groups), len(f.Catalog), len(f.Assignments), len(f.Blocklist))
	}
}
