package policy

import (
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// ruleIndex finds the first block rule matching an id without trying every
// rule: exact rules (most of a large blocklist) by a map, the others in
// order. It answers the same rule as trying all of them in order.
type ruleIndex struct {
	exact map[extension.ExtensionID]int // id -> index of its first exact rule
	wide  []int                         // indexes of the other rules, ascending
}

func newRuleIndex(matchers []blocklist.Pattern) *ruleIndex {
	ix := &ruleIndex{exact: make(map[extension.ExtensionID]int, len(matchers))}
	for i, m := range matchers {
		if m.Type() != blocklist.PatternExact {
			ix.wide = append(ix.wide, i)
			continue
		}
		id := extension.ExtensionID(m.String())
		if _, seen := ix.exact[id]; !seen {
			ix.exact[id] = i
		}
	}
	return ix
}

// first is the index of the first rule of matchers matching id, or -1.
func (ix *ruleIndex) first(matchers []blocklist.Pattern, id extension.ExtensionID) int {
	best, ok := ix.exact[id]
	if !ok {
		best = len(matchers)
	}
	for _, i := range ix.wide {
		if i > best {
			break
		}
		if matchers[i].Matches(id) {
			return i
		}
	}
	if ok {
		return best
	}
	return -1
}

// rules is the policy's rule index, built by Compile and Restore; a policy
// assembled by hand gets one built now.
func (p Policy) rules(matchers []blocklist.Pattern) *ruleIndex {
	if p.ruleIx != nil && len(matchers) == len(p.Blocked) && len(p.matchers) == len(matchers) {
		return p.ruleIx
	}
	return newRuleIndex(matchers)
}
