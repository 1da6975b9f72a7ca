package vscodepolicy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/adapters/vscodepolicy/vscodepolicytest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// codeServerCase is a group's policy and the VSIX files installed under its
// export.
type codeServerCase struct {
	name  string
	mode  group.Mode
	rules rulesOf
	vsix  []vsix
}

// rulesOf is what a case's policy holds, by natural keys.
type rulesOf struct {
	pins       map[string]string // assigned extension id -> pinned version ("" unpinned)
	storedPins map[string]string // pins stored before extguard refused them (build metadata)
	blocks     [][2]string       // blocklist: pattern type, pattern
	catalog    []string          // catalog blocks
	advisories []policy.AdvisoryRule
}

func (r rulesOf) compile(t *testing.T, mode group.Mode) policy.Policy {
	t.Helper()
	s, err := group.NewSettings(mode, group.EnforcementEnforce, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var assignments []policy.Assignment
	for id, version := range r.pins {
		e, err := extension.NewEntry(extension.EntryParams{ExtensionID: id, PinnedVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		assignments = append(assignments, policy.Assignment{Entry: e})
	}
	for id, version := range r.storedPins {
		e := extension.RehydrateEntry(extension.EntryParams{ID: domain.NewID(), ExtensionID: id, PinnedVersion: version})
		assignments = append(assignments, policy.Assignment{Entry: e})
	}
	var entries []blocklist.Entry
	for _, b := range r.blocks {
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: b[0], Pattern: b[1]})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	var catalog []extension.Entry
	for _, id := range r.catalog {
		e, err := extension.NewEntry(extension.EntryParams{ExtensionID: id, IsBlocked: true})
		if err != nil {
			t.Fatal(err)
		}
		catalog = append(catalog, e)
	}
	return policy.Compile(policy.CompileInput{GroupID: domain.NewID(), Settings: s, Assignments: assignments,
		Blocklist: entries, BlockedCatalog: catalog, Advisories: r.advisories})
}

// codeServerCases: an allowlist and a blocklist with pins and blocks,
// publisher rules, a pre-release pin and the build-metadata pin.
func codeServerCases() []codeServerCase {
	pinsAndBlocks := rulesOf{
		pins:    map[string]string{"acme.tool": "1.0.0", "esbenp.prettier-vscode": ""},
		blocks:  [][2]string{{"exact", "bad.one"}},
		catalog: []string{"acme.blocked"},
		advisories: []policy.AdvisoryRule{
			{Feed: "VS Code", PatternType: blocklist.PatternExact, Pattern: "foo.bar", Block: true, Reason: "malicious"},
			{Feed: "VS Code", PatternType: blocklist.PatternExact, Pattern: "esbenp.prettier-vscode", Versions: []string{"1.4.0"}, Block: true, Reason: "malicious"},
		},
	}
	pinsAndBlocksVSIX := []vsix{{"acme.tool", "1.0.0", false}, {"Acme.Tool", "1.0.0", false}, {"acme.tool", "1.1.0", false}, {"esbenp.prettier-vscode", "3.0.0", false},
		{"esbenp.prettier-vscode", "1.4.0", false}, {"bad.one", "1.0.0", false}, {"acme.blocked", "1.0.0", false},
		{"foo.bar", "1.0.0", false}, {"other.thing", "1.0.0", false}}
	publishers := rulesOf{
		pins:   map[string]string{"evil.helper": "", "acme.tool": ""},
		blocks: [][2]string{{"publisher", "evil"}, {"publisher", "ms-toolsai"}, {"glob", "*.miner"}},
	}
	publishersVSIX := []vsix{{"evil.helper", "1.0.0", false}, {"Evil.Other", "1.0.0", false}, {"ms-toolsai.jupyter", "2024.1.0", false},
		{"acme.tool", "1.0.0", false}, {"good.miner", "1.0.0", false}, {"other.thing", "1.0.0", false}}
	preRelease := rulesOf{pins: map[string]string{"acme.beta": "2.0.0-beta.1"}}
	preReleaseVSIX := []vsix{{"acme.beta", "2.0.0-beta.1", false}, {"acme.beta", "2.0.0-beta.1", true},
		{"acme.beta", "2.0.0-beta.2", true}, {"acme.beta", "2.0.0", false}}
	build := rulesOf{storedPins: map[string]string{"acme.build": "1.4.0+build5"}}
	buildVSIX := []vsix{{"acme.build", "1.4.0+build5", false}, {"acme.build", "1.4.0", false}}
	var cases []codeServerCase
	for _, mode := range []group.Mode{group.ModeAllowlist, group.ModeBlocklist} {
		cases = append(cases,
			codeServerCase{"pins-and-blocks", mode, pinsAndBlocks, pinsAndBlocksVSIX},
			codeServerCase{"publishers", mode, publishers, publishersVSIX},
			codeServerCase{"pre-release-pin", mode, preRelease, preReleaseVSIX},
			codeServerCase{"build-metadata-pin", mode, build, buildVSIX})
	}
	return cases
}

// TestCodeServerHonoursTheExport is item 5's check in a real editor: for
// each case it renders extguard's export, has code-server 4.139.1 install
// each VSIX under it, and compares installed-or-refused with extguard's
// verdict on that extension and version. Every disagreement must be one the
// export lists, as in TestExportMeansWhatExtguardMeans with the Go model.
func TestCodeServerHonoursTheExport(t *testing.T) {
	bin := codeServerBinary(t)
	version := exec.Command(bin, "--version")
	version.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir()) // not the user's config.yaml
	out, err := version.Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	t.Logf("code-server %s", strings.TrimSpace(string(out)))
	dir := t.TempDir()
	files := map[vsix]string{}
	for _, c := range codeServerCases() {
		for _, v := range c.vsix {
			if _, ok := files[v]; !ok {
				files[v] = writeVSIX(t, dir, v)
			}
		}
	}
	for _, c := range codeServerCases() {
		t.Run(string(c.mode)+"/"+c.name, func(t *testing.T) {
			t.Parallel() // each install waits ~4 s mostly idle
			p := c.rules.compile(t, c.mode)
			r := vscodepolicy.Render(p, "Platform", vscodepolicy.FormatJSON)
			// The value as deployed: read back from the policy.json file.
			var deployed vscodepolicy.PolicyFile
			if err := json.Unmarshal(r.Body, &deployed); err != nil {
				t.Fatal(err)
			}
			t.Logf("value %s", deployed.AllowedExtensions)
			for _, v := range c.vsix {
				got := installVSIX(t, bin, deployed.AllowedExtensions, files[v], v)
				ours, detail := extguardAllows(p, v)
				line := fmt.Sprintf("%-9s %-18s %-22s %-13s extguard %-7s code-server %s", c.mode, c.name, v.id, v.version+pre(v),
					word(ours)+detail, outcome(got))
				if ours != got.installed {
					d, ok := explain(r.Differences, p.Advisories, installed{id: v.id, version: v.version}, ours)
					if !ok {
						t.Errorf("DISAGREEMENT not listed by the export: %s\nvalue %s\nlisted %q", line, r.Value, r.Unexpressible)
					}
					line += "  (listed: " + d.Text + ")"
				}
				t.Log(line)
			}
		})
	}
}

// extguardAllows is extguard's verdict on v installed (no digest known).
func extguardAllows(p policy.Policy, v vsix) (bool, string) {
	item := report.RehydrateItem(report.ItemParams{ExtensionID: strings.ToLower(v.id), Installed: true,
		Version: v.version, Editor: "vscode"})
	kind, _ := p.ExtensionVerdict(item)
	if kind == "" {
		return true, ""
	}
	return false, " (" + string(kind) + ")"
}

func word(allowed bool) string {
	if allowed {
		return "allows"
	}
	return "refuses"
}

func outcome(o installOutcome) string {
	if o.installed {
		return "installs"
	}
	return "refuses: " + o.reason
}

func pre(v vsix) string {
	if v.preRelease {
		return " (pre)"
	}
	return ""
}

// TestBuildMetadataPinsAreRefused: a new pin with build metadata is refused
// (the editor could never match it); the stored one is rendered and flagged,
// which the code-server case then meets.
func TestBuildMetadataPinsAreRefused(t *testing.T) {
	t.Parallel()
	_, err := extension.NewEntry(extension.EntryParams{ExtensionID: "acme.build", PinnedVersion: "1.4.0+build5"})
	if !strings.Contains(fmt.Sprint(err), "pinned_version") {
		t.Fatalf("a pin with build metadata: %v, want a pinned_version field error", err)
	}
	p := rulesOf{storedPins: map[string]string{"acme.build": "1.4.0+build5"}}.compile(t, group.ModeAllowlist)
	r := vscodepolicy.Render(p, "Platform", vscodepolicy.FormatJSON)
	if !strings.Contains(r.Value, `"acme.build":["1.4.0+build5"]`) || !strings.Contains(strings.Join(r.Unexpressible, "\n"), "can never match") {
		t.Fatalf("stored build-metadata pin: value %s, listed %q", r.Value, r.Unexpressible)
	}
}

// TestCodeServerConfirmsTheLinter: each construct the linter flags does in
// code-server what the finding says (the candidate meant to be refused is
// installed, or the pinned version is refused). Invalid JSON is left out: in
// settings.json it would break the whole file, which a policy cannot do.
func TestCodeServerConfirmsTheLinter(t *testing.T) {
	bin := codeServerBinary(t)
	// Controls: the same keys in the other order refuse, so the installs
	// above are the last key winning, not a settings file left unread.
	evil := vscodepolicytest.Candidate{ID: "evil.x", Version: "1.0.0"}
	controls := []lintCase{
		{value: `{"*": true, "*": false}`, probe: evil},
		{value: `{"*": false, "evil.x": true, "Evil.X": false}`, probe: evil},
		{value: `{"*": false, "acme.tool": ["1.0.0"]}`, probe: vscodepolicytest.Candidate{ID: "acme.tool", Version: "9.9.9"}},
	}
	for _, c := range append(lintCases(), controls...) {
		if !json.Valid([]byte(c.value)) {
			continue
		}
		t.Run(c.value, func(t *testing.T) {
			t.Parallel()
			v := vsix{id: c.probe.ID, version: c.probe.Version}
			file := writeVSIX(t, t.TempDir(), v)
			got := installVSIX(t, bin, c.value, file, v)
			t.Logf("%-50s %-12s %s@%s: code-server %s", c.value, c.effect, v.id, v.version, outcome(got))
			if got.installed != c.allowed {
				t.Errorf("%s (%s on %q): code-server %s %s@%s, the finding says allowed=%v", c.value, c.effect, c.key, outcome(got), v.id, v.version, c.allowed)
			}
		})
	}
}
