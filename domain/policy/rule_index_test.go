package policy

import (
	"testing"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// TestRuleIndexAnswersTheFirstMatchingRule: the index answers the same rule
// as trying every rule in order, whatever the order of exact and other
// rules (a hand-built policy need not be sorted) and with repeated ids.
func TestRuleIndexAnswersTheFirstMatchingRule(t *testing.T) {
	t.Parallel()
	rule := func(typ blocklist.PatternType, s string) blocklist.Pattern {
		p, err := blocklist.RestorePattern(typ, s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	orders := [][]blocklist.Pattern{
		{rule("exact", "a.b"), rule("exact", "a.b"), rule("glob", "a.*"), rule("publisher", "c"), rule("regex", "^d\\.")},
		{rule("glob", "a.*"), rule("exact", "a.b"), rule("regex", "^d\\."), rule("exact", "d.e"), rule("publisher", "a")},
		{rule("publisher", "c"), rule("exact", "c.d"), rule("exact", "a.b")},
		{},
	}
	ids := []extension.ExtensionID{"a.b", "a.c", "c.d", "d.e", "x.y"}
	for n, ms := range orders {
		ix := newRuleIndex(ms)
		for _, id := range ids {
			if got, want := ix.first(ms, id), blockedBy(ms, id); got != want {
				t.Errorf("order %d, %s: index answers rule %d, in order it is %d", n, id, got, want)
			}
		}
	}
}
