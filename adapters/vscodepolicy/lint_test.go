package vscodepolicy_test

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/adapters/vscodepolicy/vscodepolicytest"
	"github.com/extguard/extguard/domain/group"
)

// lintCase is a construct the linter flags, and a candidate that shows its
// effect in the editor.
type lintCase struct {
	value   string
	key     string
	effect  vscodepolicy.Effect
	probe   vscodepolicytest.Candidate
	allowed bool // what the editor does with probe
}

func lintCases() []lintCase {
	return []lintCase{
		{`{"*": false, "a.b": false`, "", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "a.b", Version: "1.0.0"}, true},
		{`["a.b"]`, "", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`"{}"`, "", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`{"*": true}`, "*", vscodepolicy.EffectOverBroad, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`{"*": false, "*": true}`, "*", vscodepolicy.EffectOverBroad, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`{"*": false, "Evil.X": false, "evil.x": true}`, "Evil.X", vscodepolicy.EffectShadowed, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`{"*": false, "evil.x": false, "evil.x": true}`, "evil.x", vscodepolicy.EffectShadowed, vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}, true},
		{`{"*": false, "acme": ["1.0.0"]}`, "acme", vscodepolicy.EffectOverBroad, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}, true},
		{`{"*": false, "acme.tool": "latest"}`, "acme.tool", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9", Prerelease: true}, true},
		{`{"*": false, "acme.tool": null}`, "acme.tool", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}, true},
		{`{"*": false, "acme.tool": {"version": "1.0.0"}}`, "acme.tool", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}, true},
		{`{"*": false, "acme.tool": ["1.4.0+build5"]}`, "acme.tool", vscodepolicy.EffectNeverMatches, vscodepolicytest.Candidate{ID: "acme.tool", Version: "1.4.0+build5"}, false},
		{`{"*": false, "acme.tool": 0}`, "acme.tool", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}, true},
		{`{"*": false, "acme": 1}`, "acme", vscodepolicy.EffectFailOpen, vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}, true},
		{`{"*": false, "acme.tool": [1]}`, "acme.tool", vscodepolicy.EffectNeverMatches, vscodepolicytest.Candidate{ID: "acme.tool", Version: "1.0.0"}, false},
	}
}

// TestLintFlagsEachFailOpenConstruct: every construct VS Code reads wider
// than written is flagged with its effect, and the editor model confirms
// the effect (the candidate the author meant to refuse is allowed, or the
// pinned version is refused).
func TestLintFlagsEachFailOpenConstruct(t *testing.T) {
	t.Parallel()
	for _, c := range lintCases() {
		findings := vscodepolicy.LintValue(c.value)
		found := false
		for _, f := range findings {
			found = found || (f.Key == c.key && f.Effect == c.effect && f.Reason != "")
		}
		if !found {
			t.Errorf("%s: findings %+v, want %s on %q", c.value, findings, c.effect, c.key)
		}
		if got := vscodepolicytest.ParseEditor(c.value, nil).IsAllowed(c.probe); got != c.allowed {
			t.Errorf("%s: the editor says %v for %+v: the finding's reason is wrong", c.value, got, c.probe)
		}
	}
	for _, clean := range []string{`{"*": false, "a.b": true, "c.d": ["1.2.3", "2.0.0-beta.1@linux-x64"], "evil": false, "ms-python": "stable"}`,
		`{"*": true, "evil": false}`} {
		if f := vscodepolicy.LintValue(clean); len(f) != 0 {
			t.Errorf("%s: %+v", clean, f)
		}
	}
}

// TestLintReadsEveryDeployedForm: the value is found in a policy.json, a
// .reg (as rendered, and as regedit exports it, UTF-16LE with a BOM) and a
// .mobileconfig, and extguard's own exports lint clean.
func TestLintReadsEveryDeployedForm(t *testing.T) {
	t.Parallel()
	for _, mode := range []group.Mode{group.ModeAllowlist, group.ModeBlocklist} {
		p := compile(t, mode, group.EnforcementEnforce)
		for _, f := range []vscodepolicy.Format{vscodepolicy.FormatJSON, vscodepolicy.FormatReg, vscodepolicy.FormatMobileconfig} {
			r := vscodepolicy.Render(p, "Platform & Co", f)
			files := map[string][]byte{string(f): r.Body}
			if f == vscodepolicy.FormatReg {
				files["reg-utf16"] = utf16LE(string(r.Body))
			}
			for name, body := range files {
				l, err := vscodepolicy.Lint(body)
				if err != nil || l.Value != r.Value || l.Format != string(f) {
					t.Fatalf("%s %s: %v %+v, want value %s", mode, name, err, l, r.Value)
				}
				if len(l.Findings) != 0 {
					t.Errorf("%s %s: extguard's export has findings %+v", mode, name, l.Findings)
				}
			}
		}
	}
	if l, err := vscodepolicy.Lint([]byte(`{"AllowedExtensions": "[\"a.b\"]"}`)); err != nil || len(l.Findings) != 1 || l.Findings[0].Effect != vscodepolicy.EffectFailOpen {
		t.Fatalf("policy.json with an array: %+v %v", l, err)
	}
	if _, err := vscodepolicy.Lint([]byte("hello")); err == nil {
		t.Fatal("a file without a value is linted")
	}
}

func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

var _ = strings.Contains
