package vscodepolicy

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
)

// How VS Code reads the value (AllowedExtensionsService.isAllowed in
// src/vs/platform/extensionManagement/common/allowedExtensionsService.ts,
// microsoft/vscode; VSCodium, Cursor and code-server run the same code,
// though code-server reads the value only from its extensions.allowed
// setting, never from a machine policy: editors.go):
//
//   - a value that is not a JSON object, or is an array, turns the policy
//     off: everything is allowed;
//   - keys are lower-cased, a later key replacing an earlier one;
//     {"*": true} alone also turns the policy off;
//   - the extension's id is looked up first: true/false decide; "stable"
//     refuses pre-releases; an array allows only the versions it lists,
//     each matched by ^\d+\.\d+\.\d+(-.*)?(@platform)?$ and compared as
//     text; any other value allows;
//   - then its publisher: true/false decide, "stable" refuses pre-releases,
//     anything else (an array too) allows every version. For an extension
//     whose publisher display name is one of the product's
//     extensionPublisherOrgs (["microsoft"] in VS Code's builds) the key
//     looked up is that display name, not the publisher id;
//   - then "*": true allows; anything else refuses.
//
// So the renderer only writes booleans and arrays of pinned versions on ids,
// never a publisher array, "stable" or another string, and lists in
// Differences every case where the editor and extguard disagree.

// vscodeVersion is VS Code's version pattern for array entries.
var vscodeVersion = regexp.MustCompile(`^\d+\.\d+\.\d+(-.*)?(@.+)?$`)

// DifferenceKind classifies a Difference.
type DifferenceKind string

const (
	// DiffPatternBlock: a glob or regex block; the editor allows what it matches.
	DiffPatternBlock DifferenceKind = "pattern_block"
	// DiffPublisherOrg: a publisher block the editor reads differently for
	// extensions whose publisher display name is an extensionPublisherOrgs entry.
	DiffPublisherOrg DifferenceKind = "publisher_org"
	// DiffChecksum: the editor allows the pinned version whatever its content.
	DiffChecksum DifferenceKind = "checksum"
	// DiffUnmatchablePin: a stored pin the editor can never match (build
	// metadata): it refuses the extension at every version.
	DiffUnmatchablePin DifferenceKind = "unmatchable_pin"
	// DiffRequired: the editor allows required extensions, never installs them.
	DiffRequired DifferenceKind = "required"
	// DiffAudit: the editor enforces what an audit group only reports.
	DiffAudit DifferenceKind = "audit"
	// DiffUnverifiedLocation: no public source confirms where this editor
	// reads the policy on some platform.
	DiffUnverifiedLocation DifferenceKind = "unverified_location"
	// DiffAdvisory: a threat feed's entries the value cannot carry (blocks of
	// single versions, alerts): the editor allows what they name. Subject is
	// the feed, one difference per feed and kind so a feed of thousands of
	// entries stays one line.
	DiffAdvisory DifferenceKind = "advisory"
)

// Difference is one way the native value's verdicts differ from extguard's.
type Difference struct {
	Kind        DifferenceKind
	PatternType blocklist.PatternType // for block differences
	Subject     string                // the extension id, publisher or pattern concerned
	Text        string                // printable ASCII without commas (header items)
}

// Texts are the differences as shown, sorted.
func Texts(diffs []Difference) []string {
	out := make([]string, len(diffs))
	for i, d := range diffs {
		out[i] = d.Text
	}
	sort.Strings(out)
	return out
}

// AllowedExtensions builds the policy value and lists, as text, what it
// cannot say. Keys are sorted (encoding/json sorts map keys), so the same
// policy always renders byte for byte the same.
func AllowedExtensions(p policy.Policy) (string, []string) {
	value, diffs := Translate(p)
	return value, Texts(diffs)
}

// Translate builds the policy value and every difference between the
// editor's reading of it and extguard's verdicts.
func Translate(p policy.Policy) (string, []Difference) {
	rules := ruleSet{}
	var diffs []Difference
	blocklistMode := p.Mode == group.ModeBlocklist
	if blocklistMode {
		rules.set("*", true)
	} else {
		rules.set("*", false) // an unset mode is allowlist, the safe default
	}
	pin := func(id, version, digest string) {
		switch {
		case version != "":
			rules.set(id, []string{version})
			if !vscodeVersion.MatchString(version) {
				diffs = append(diffs, Difference{Kind: DiffUnmatchablePin, Subject: id,
					Text: "pin " + quote(id) + " " + quote(version) + " can never match in the editor (build metadata) so it refuses every version"})
			}
			if digest != "" {
				diffs = append(diffs, Difference{Kind: DiffChecksum, Subject: id,
					Text: "checksum of " + quote(id) + " (the editor checks versions and not digests)"})
			}
		case !blocklistMode:
			rules.set(id, true)
		}
	}
	for _, r := range p.Required {
		digest := r.ContentSHA256
		if digest == "" {
			digest = r.SHA256
		}
		pin(r.ExtensionID.String(), r.Version, digest)
	}
	for _, a := range p.Allowed {
		pin(a.ExtensionID.String(), a.Version, a.ContentSHA256)
	}
	if len(p.Required) > 0 {
		diffs = append(diffs, Difference{Kind: DiffRequired,
			Text: "required extensions are allowed but not installed by the editor; extguard agents install them"})
	}
	blocks := p.Blocked
	for _, a := range p.Advisories {
		// A block of every version is a block like the blocklist's; the
		// others the value cannot say (it has no "every version but").
		if b, ok := a.AsBlockRule(); ok {
			blocks = append(blocks, b)
		}
	}
	diffs = append(diffs, advisoryDifferences(p.Advisories)...)
	for _, b := range blocks {
		switch b.PatternType {
		case blocklist.PatternExact:
			rules.set(b.Pattern, false)
		case blocklist.PatternPublisher:
			rules.set(b.Pattern, false)
			if blocklistMode {
				diffs = append(diffs, Difference{Kind: DiffPublisherOrg, PatternType: b.PatternType, Subject: b.Pattern,
					Text: "publisher block " + quote(b.Pattern) + ": the editor looks up extensions whose publisher display name is in its extensionPublisherOrgs (Microsoft) under that name and not under their publisher id; block such extensions by id"})
			}
		default:
			// In allowlist mode "*": false already refuses what the pattern
			// matches (Compile leaves blocked assignments out), so only a
			// blocklist loses it.
			if blocklistMode {
				diffs = append(diffs, Difference{Kind: DiffPatternBlock, PatternType: b.PatternType, Subject: b.Pattern,
					Text: ascii(string(b.PatternType)) + " block " + quote(b.Pattern) + " (the editor matches exact ids and publishers only)"})
			}
		}
	}
	if p.Enforcement == group.EnforcementAudit {
		diffs = append(diffs, Difference{Kind: DiffAudit,
			Text: "audit mode: the editor always enforces this policy while extguard agents only report"})
	}
	value, _ := json.Marshal(map[string]any(rules))
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].Text < diffs[j].Text })
	return ascii(string(value)), diffs
}

// ruleSet is the value's object. Keys are lower-cased as the editor does, so
// no two keys can collide there; of two rules for one key the stricter
// stays (false, then a version list, then true).
type ruleSet map[string]any

func (r ruleSet) set(key string, v any) {
	key = strings.ToLower(key)
	if prev, ok := r[key]; ok && strictness(prev) >= strictness(v) {
		return
	}
	r[key] = v
}

func strictness(v any) int {
	switch v {
	case false:
		return 2
	case true:
		return 0
	}
	return 1
}

// advisoryDifferences lists, per feed, the advisories the value cannot carry:
// blocks of some versions only, and alerts (extguard reports the extension,
// the editor says nothing).
func advisoryDifferences(rules []policy.AdvisoryRule) []Difference {
	var out []Difference
	seen := map[[2]string]bool{}
	for _, a := range rules {
		text := ""
		switch {
		case a.Block && len(a.Versions) > 0:
			text = "threat feed " + quote(a.Feed) + " blocks some versions only of extensions it names and the editor allows them"
		case !a.Block:
			text = "threat feed " + quote(a.Feed) + " alerts on extensions that the editor allows without a word"
		default:
			continue
		}
		if k := [2]string{a.Feed, text}; !seen[k] {
			seen[k] = true
			out = append(out, Difference{Kind: DiffAdvisory, Subject: a.Feed, Text: text})
		}
	}
	return out
}
