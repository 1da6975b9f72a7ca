package vscodepolicy_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
)

// The hand-written table of TestExportMeansWhatExtguardMeans meets each kind
// of rule once, which proves nothing about rules it does not hold (threat
// feed advisories went unlisted that way). Here random policies, drawn from
// small pools so that rules collide (a pin and a block of one id, a
// publisher block over a pinned id, an advisory over an assignment), are
// compared with the editor on every id, case and version of the pools.
var (
	randomPublishers = []string{"acme", "evil", "ms-python", "Foo"}
	randomNames      = []string{"tool", "x", "copilot-a"}
	randomVersions   = []string{"1.0.0", "2.0.0-beta.1", "1.4.0+build5", "9.9.9"}
)

func randomPolicy(t *testing.T, rng *rand.Rand) policy.Policy {
	t.Helper()
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	id := func() string { return strings.ToLower(pick(randomPublishers)) + "." + pick(randomNames) }
	mode := []group.Mode{group.ModeAllowlist, group.ModeBlocklist}[rng.IntN(2)]
	enforcement := []group.Enforcement{group.EnforcementAudit, group.EnforcementEnforce}[rng.IntN(2)]
	s, err := group.NewSettings(mode, enforcement, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var assignments []policy.Assignment
	for range rng.IntN(6) {
		p := extension.EntryParams{ID: domain.NewID(), ExtensionID: id(), IsBlocked: rng.IntN(8) == 0}
		if rng.IntN(2) == 0 {
			p.PinnedVersion = pick(randomVersions) // stored pins are not re-validated: 1.4.0+build5 too
		}
		if rng.IntN(4) == 0 {
			p.ContentSHA256 = approvedDigest
		}
		assignments = append(assignments, policy.Assignment{Entry: extension.RehydrateEntry(p), Required: rng.IntN(3) == 0})
	}
	var rules []blocklist.Entry
	for range rng.IntN(4) {
		kind := pick([]string{"exact", "publisher", "glob", "regex"})
		pattern := map[string]string{"exact": id(), "publisher": strings.ToLower(pick(randomPublishers)),
			"glob": "*." + pick(randomNames) + "*", "regex": `^` + strings.ToLower(pick(randomPublishers)) + `\.`}[kind]
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: kind, Pattern: pattern})
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, e)
	}
	var advisories []policy.AdvisoryRule
	for range rng.IntN(3) {
		a := policy.AdvisoryRule{Feed: pick([]string{"VS Code", "Watch"}), Block: rng.IntN(2) == 0, Reason: "malicious"}
		switch rng.IntN(3) {
		case 0:
			a.PatternType, a.Pattern = blocklist.PatternExact, id()
		case 1:
			a.PatternType, a.Pattern = blocklist.PatternPublisher, strings.ToLower(pick(randomPublishers))
		default:
			a.PatternType, a.Pattern = blocklist.PatternGlob, "*."+pick(randomNames)
		}
		if rng.IntN(2) == 0 {
			a.Versions = []string{pick(randomVersions)}
		}
		advisories = append(advisories, a)
	}
	return policy.Compile(policy.CompileInput{GroupID: domain.NewID(), Settings: s, Assignments: assignments,
		Blocklist: rules, Advisories: advisories})
}

func randomTable() []installed {
	var table []installed
	for _, pub := range randomPublishers {
		for _, name := range randomNames {
			for _, v := range randomVersions {
				for _, id := range []string{strings.ToLower(pub) + "." + name, strings.ToUpper(pub) + "." + name} {
					in := installed{id: id, version: v}
					if strings.HasPrefix(strings.ToLower(pub), "ms-") {
						in.displayName = "Microsoft"
					}
					table = append(table, in, installed{id: id, version: v, digest: alteredDigest, displayName: in.displayName})
				}
			}
		}
	}
	return table
}

// TestExportMeansWhatExtguardMeansForRandomPolicies: for 500 random
// policies, every disagreement between extguard and the editor is listed.
func TestExportMeansWhatExtguardMeansForRandomPolicies(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 1))
	table := randomTable()
	explained := 0
	for i := 0; i < 500 && !t.Failed(); i++ {
		explained += checkEquivalence(t, randomPolicy(t, rng), table)
	}
	if explained == 0 {
		t.Error("no policy met a difference: the pools do not exercise the renderer")
	}
}
