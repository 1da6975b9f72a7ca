package policyfile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/extguard/extguard/adapters/policyfile"
)

// compiledSchema is policyfile.Schema() as an editor's validator reads it:
// marshalled to JSON and compiled by a JSON Schema 2020-12 implementation.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := json.Marshal(policyfile.Schema())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.json")
	if err != nil {
		t.Fatalf("the served schema does not compile: %v", err)
	}
	return s
}

// instance is a YAML file as the JSON value a validator checks.
func instance(t *testing.T, file string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(file), &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemaAcceptsWhatParseAccepts: the documented example and an export
// of every section are valid under the served schema, so an editor using
// it does not flag a file the server takes; and files the parser refuses
// for their shape (an unknown key, a bad enum, a missing key, a wrong
// type) are refused by the schema too.
func TestSchemaAcceptsWhatParseAccepts(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	doc, err := os.ReadFile("../../docs/policy-as-code.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	text = text[strings.Index(text, "## The policy file, plan and apply"):]
	start := strings.Index(text, "```yaml\n") + len("```yaml\n")
	example := text[start : start+strings.Index(text[start:], "```")]
	exported := `version: 1
groups:
  - {name: laptops, description: dev machines, settings: {mode: blocklist, enforcement: enforce, heartbeat_interval_s: 120}}
catalog:
  - {extension_id: ms-python.python, name: Python, pinned_version: 2024.1.0, sha256_checksum: ` + strings.Repeat("ab", 32) + `}
  - {extension_id: evil.miner, is_blocked: true, block_reason: malware}
assignments:
  - {group: laptops, extension_id: ms-python.python, required: true}
blocklist:
  - {pattern_type: regex, pattern: 'a\.(b|c)', reason: miner, is_active: false}
`
	f, err := policyfile.Parse([]byte(exported))
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{"the docs' example": example, "an export": string(policyfile.Format(f))} {
		if _, err := policyfile.Parse([]byte(file)); err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		if err := s.Validate(instance(t, file)); err != nil {
			t.Errorf("%s parses but the schema refuses it: %v\n%s", name, err, file)
		}
	}
	for name, file := range map[string]string{
		"an unknown top-level key": "version: 1\nextra: []\n",
		"an unknown group key":     "version: 1\ngroups:\n  - {name: a, colour: red}\n",
		"a bad mode":               "version: 1\ngroups:\n  - {name: a, settings: {mode: denylist}}\n",
		"a missing pattern":        "version: 1\nblocklist:\n  - {pattern_type: exact}\n",
		"a bad pattern type":       "version: 1\nblocklist:\n  - {pattern_type: shell, pattern: x}\n",
		"a string for a boolean":   "version: 1\nassignments:\n  - {group: a, extension_id: a.b, required: maybe}\n",
		"no version":               "blocklist: []\n",
		"another version":          "version: 2\n",
	} {
		if _, err := policyfile.Parse([]byte(file)); err == nil {
			t.Errorf("%s: the parser takes it, fix the case", name)
		}
		if err := s.Validate(instance(t, file)); err == nil {
			t.Errorf("%s: the parser refuses it, the schema takes it", name)
		}
	}
}

// TestSchemaEnumsAreTheParsersValues: for each enumerated field, the schema
// and the parser agree on every candidate value, the parser's own and near
// misses, so an enum the schema widens (an editor completing a mode the
// server refuses) or narrows fails here and not in a user's CI.
func TestSchemaEnumsAreTheParsersValues(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	candidates := []string{"allowlist", "blocklist", "audit", "enforce", "exact", "publisher", "glob", "regex",
		"strict", "denylist", "report", "Allowlist", "ENFORCE", "shell", ""}
	for field, file := range map[string]string{
		"groups[0].settings.mode":        "version: 1\ngroups:\n  - {name: a, settings: {mode: %q}}\n",
		"groups[0].settings.enforcement": "version: 1\ngroups:\n  - {name: a, settings: {enforcement: %q}}\n",
		"blocklist[0].pattern_type":      "version: 1\nblocklist:\n  - {pattern_type: %q, pattern: a.b}\n",
	} {
		accepted := 0
		for _, v := range candidates {
			text := fmt.Sprintf(file, v)
			// Only the field under test counts: a publisher pattern of
			// a.b is refused for its pattern, not its type.
			_, parseErr := policyfile.Parse([]byte(text))
			parsed := parseErr == nil || !strings.Contains(parseErr.Error(), field)
			schemaErr := s.Validate(instance(t, text))
			if parsed != (schemaErr == nil) {
				t.Errorf("%s = %q: the parser says %v, the schema %v", field, v, parseErr, schemaErr)
			}
			if parsed {
				accepted++
			}
		}
		if accepted < 2 {
			t.Errorf("%s: the parser accepts %d candidates, the table misses its values", field, accepted)
		}
	}
}
