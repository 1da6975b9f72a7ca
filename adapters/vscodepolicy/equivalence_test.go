package vscodepolicy_test

import (
	"slices"
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

const (
	approvedDigest = "1111111111111111111111111111111111111111111111111111111111111111"
	alteredDigest  = "2222222222222222222222222222222222222222222222222222222222222222"
)

// equivalencePolicy has one rule of every kind extguard knows: pinned and
// unpinned, required and optional assignments, a pinned content digest, a
// stored pin with build metadata (written before pins refused it), a
// catalog block and blocklist entries of all four pattern types.
func equivalencePolicy(t *testing.T, mode group.Mode, enforcement group.Enforcement) policy.Policy {
	t.Helper()
	s, err := group.NewSettings(mode, enforcement, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(p extension.EntryParams) extension.Entry {
		e, err := extension.NewEntry(p)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	buildPin := extension.RehydrateEntry(extension.EntryParams{ID: domain.NewID(), ExtensionID: "acme.build", PinnedVersion: "1.4.0+build5"})
	assignments := []policy.Assignment{
		{Entry: entry(extension.EntryParams{ExtensionID: "ms-python.python", PinnedVersion: "2024.2.1", ContentSHA256: approvedDigest}), Required: true},
		{Entry: entry(extension.EntryParams{ExtensionID: "acme.tool", PinnedVersion: "1.0.0"})},
		{Entry: entry(extension.EntryParams{ExtensionID: "acme.beta", PinnedVersion: "2.0.0-beta.1"})},
		{Entry: entry(extension.EntryParams{ExtensionID: "esbenp.prettier-vscode"})},
		{Entry: buildPin},
		{Entry: entry(extension.EntryParams{ExtensionID: "evil.helper"})}, // blocked by publisher: left out
	}
	var rules []blocklist.Entry
	for _, r := range [][2]string{{"publisher", "evil"}, {"exact", "bad.one"}, {"glob", "*.copilot*"}, {"regex", `x[0-9]+\.y`}, {"publisher", "ms-toolsai"}} {
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: r[0], Pattern: r[1]})
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, e)
	}
	blocked := entry(extension.EntryParams{ExtensionID: "acme.blocked", IsBlocked: true})
	advisories := []policy.AdvisoryRule{ // threat feeds: a block of one version, of every version, an alert
		{Feed: "VS Code", PatternType: blocklist.PatternExact, Pattern: "esbenp.prettier-vscode", Versions: []string{"1.4.0"}, Block: true, Reason: "malicious"},
		{Feed: "VS Code", PatternType: blocklist.PatternExact, Pattern: "foo.bar", Block: true, Reason: "malicious"},
		{Feed: "Watch", PatternType: blocklist.PatternPublisher, Pattern: "alert", Reason: "suspicious"},
	}
	return policy.Compile(policy.CompileInput{GroupID: domain.NewID(), Settings: s, Assignments: assignments,
		Blocklist: rules, BlockedCatalog: []extension.Entry{blocked}, Advisories: advisories})
}

// installed is one row of the table: an extension at a version, with its
// content digest and the publisher display name the marketplace shows.
type installed struct {
	id, version, digest, displayName string
}

func equivalenceTable() []installed {
	var table []installed
	for _, id := range []string{"ms-python.python", "acme.tool", "acme.beta", "esbenp.prettier-vscode", "acme.build",
		"evil.helper", "evil.x", "bad.one", "acme.blocked", "github.copilot-chat", "x1.y", "ms-toolsai.jupyter",
		"ms-vscode.cpptools", "foo.bar", "Foo.Bar", "alert.me"} {
		for _, v := range []string{"2024.2.1", "1.0.0", "2.0.0-beta.1", "1.4.0+build5", "1.4.0", "0.9.0"} {
			table = append(table, installed{id: id, version: v})
		}
	}
	ms := func(id string) bool { return strings.HasPrefix(strings.ToLower(id), "ms-") }
	for i := range table {
		if ms(table[i].id) {
			table[i].displayName = "Microsoft" // VS Code's extensionPublisherOrgs
		}
	}
	return append(table,
		installed{id: "ms-python.python", version: "2024.2.1", digest: approvedDigest, displayName: "Microsoft"},
		installed{id: "ms-python.python", version: "2024.2.1", digest: alteredDigest, displayName: "Microsoft"})
}

// TestExportMeansWhatExtguardMeans compares, for every group mode, extguard's
// verdict on each extension and version of the table with the editor's
// (a re-implementation of VS Code's isAllowed reading the rendered file):
// every disagreement must be one the export lists.
func TestExportMeansWhatExtguardMeans(t *testing.T) {
	t.Parallel()
	for _, mode := range []group.Mode{group.ModeAllowlist, group.ModeBlocklist} {
		for _, enforcement := range []group.Enforcement{group.EnforcementAudit, group.EnforcementEnforce} {
			t.Run(string(mode)+"-"+string(enforcement), func(t *testing.T) {
				t.Parallel()
				p := equivalencePolicy(t, mode, enforcement)
				explained := checkEquivalence(t, p, equivalenceTable())
				// The table does meet the differences: glob, regex and
				// publisher-org blocks in a blocklist, digests and the
				// build-metadata pin everywhere.
				if want := map[group.Mode]int{group.ModeAllowlist: 2, group.ModeBlocklist: 2 + 6*3}[mode]; explained < want {
					t.Errorf("%d disagreements explained, want at least %d", explained, want)
				}
			})
		}
	}
}

// checkEquivalence renders p, checks the value has no fail-open construct,
// and compares extguard's verdict with the editor's for each row of table:
// every disagreement must be listed. It answers how many were.
func checkEquivalence(t *testing.T, p policy.Policy, table []installed) (explained int) {
	t.Helper()
	r := vscodepolicy.Render(p, "Platform", vscodepolicy.FormatJSON)
	if _, err := vscodepolicytest.ReadJSON(r.Body); err != nil {
		t.Fatal(err)
	}
	checkNoFailOpen(t, r.Value, p.Mode)
	editor := vscodepolicytest.ParseEditor(r.Value, vscodepolicytest.VSCodePublisherOrgs)
	for _, in := range table {
		item := report.RehydrateItem(report.ItemParams{ExtensionID: strings.ToLower(in.id), Installed: true,
			Version: in.version, SHA256: in.digest, Editor: "vscode"})
		kind, detail := p.ExtensionVerdict(item)
		ours := kind == ""
		theirs := editor.IsAllowed(vscodepolicytest.Candidate{ID: in.id, Version: in.version, PublisherDisplayName: in.displayName})
		if ours == theirs {
			continue
		}
		d, ok := explain(r.Differences, p.Advisories, in, ours)
		if !ok {
			t.Errorf("%s@%s (%s): extguard says %v (%s %s), the editor %v, and the export does not say so: %q\nvalue %s",
				in.id, in.version, in.displayName, ours, kind, detail, theirs, r.Unexpressible, r.Value)
			continue
		}
		explained++
		if !strings.Contains(strings.Join(r.Unexpressible, "\x00"), d.Text) {
			t.Errorf("difference %q is not among the texts", d.Text)
		}
	}
	return explained
}

// explain finds the listed difference that accounts for the editor
// disagreeing with extguard about in (ours: extguard's verdict).
func explain(diffs []vscodepolicy.Difference, advisories []policy.AdvisoryRule, in installed, ours bool) (vscodepolicy.Difference, bool) {
	id := strings.ToLower(in.id)
	publisher, _, _ := strings.Cut(id, ".")
	for _, d := range diffs {
		switch d.Kind {
		case vscodepolicy.DiffPatternBlock:
			m, err := blocklist.RestorePattern(d.PatternType, d.Subject)
			if err == nil && !ours && m.Matches(extension.ExtensionID(id)) {
				return d, true
			}
		case vscodepolicy.DiffPublisherOrg:
			if in.displayName != "" && (d.Subject == publisher || d.Subject == strings.ToLower(in.displayName)) {
				return d, true
			}
		case vscodepolicy.DiffChecksum:
			if d.Subject == id && !ours && in.digest != "" {
				return d, true
			}
		case vscodepolicy.DiffAdvisory:
			for _, a := range advisories {
				// Only alerts and blocks of some versions: a block of every
				// version is in the value, so it explains nothing.
				m, err := blocklist.RestorePattern(a.PatternType, a.Pattern)
				if err == nil && !ours && a.Feed == d.Subject && m.Matches(extension.ExtensionID(id)) &&
					(!a.Block || slices.Contains(a.Versions, in.version)) {
					return d, true
				}
			}
		case vscodepolicy.DiffUnmatchablePin:
			if d.Subject == id && ours {
				return d, true
			}
		}
	}
	return vscodepolicy.Difference{}, false
}

// checkNoFailOpen: the value has none of the constructs the editor reads as
// "no policy" or wider than meant: it is an object, no key repeats (also
// after lower-casing), publisher keys hold only booleans, ids only booleans
// or version lists, and "*" says what the mode means.
func checkNoFailOpen(t *testing.T, value string, mode group.Mode) {
	t.Helper()
	keys, ok := vscodepolicytest.ObjectKeys(value)
	if !ok {
		t.Fatalf("value is not an object: %s", value)
	}
	rules, err := vscodepolicytest.DecodeRules(value)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[strings.ToLower(k)] {
			t.Errorf("key %q repeats (after lower-casing)", k)
		}
		seen[strings.ToLower(k)] = true
		switch v := rules[k].(type) {
		case bool:
		case []any:
			if !strings.Contains(k, ".") {
				t.Errorf("publisher key %q holds versions: the editor allows every version", k)
			}
		default:
			t.Errorf("key %q holds %v: the editor allows it", k, v)
		}
	}
	if rules["*"] != (mode == group.ModeBlocklist) {
		t.Errorf(`"*" is %v in %s mode`, rules["*"], mode)
	}
}
