package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
)

// Exception allows one agent an extension its group's policy does not
// (an approved extension request). Version "" allows any version.
type Exception struct {
	ExtensionID extension.ExtensionID
	Version     string
}

// Blocks reports the first rule blocking id, a threat feed's block of every
// version included: blocks win over assignments and exceptions alike, so an
// approval of a blocked extension is refused.
func (p Policy) Blocks(id extension.ExtensionID) (BlockRule, bool) {
	return p.blockOf(p.compiled(), p.advisories(), id)
}

// blockOf is Blocks over matchers and advisories the caller already holds,
// so WithExceptions decides "blocked" by the same rule without rebuilding
// them per exception.
func (p Policy) blockOf(matchers []blocklist.Pattern, advisories *advisoryIndex, id extension.ExtensionID) (BlockRule, bool) {
	if i := blockedBy(matchers, id); i >= 0 {
		return p.Blocked[i], true
	}
	return advisories.blockOfEveryVersion(id)
}

// WithExceptions is one agent's effective policy: the group's plus its
// exceptions as allowances. An exception never unblocks (a blocked one is
// left out, as a blocked assignment is), and never overrides what the
// group already requires or allows (its pin stays). The ETag is derived
// from the group's and the exceptions that took effect, so it changes when
// either does; without any it is the group's policy itself.
func (p Policy) WithExceptions(exceptions []Exception) Policy {
	matchers, advisories := p.compiled(), p.advisories()
	assigned := make(map[extension.ExtensionID]bool, len(p.Required)+len(p.Allowed))
	for _, r := range p.Required {
		assigned[r.ExtensionID] = true
	}
	for _, a := range p.Allowed {
		assigned[a.ExtensionID] = true
	}
	var added []Allowance
	for _, e := range exceptions {
		if e.ExtensionID == "" || assigned[e.ExtensionID] {
			continue
		}
		if _, blocked := p.blockOf(matchers, advisories, e.ExtensionID); blocked {
			continue
		}
		assigned[e.ExtensionID] = true
		added = append(added, Allowance{ExtensionID: e.ExtensionID, Version: e.Version})
	}
	if len(added) == 0 {
		return p
	}
	sort.Slice(added, func(i, j int) bool { return added[i].ExtensionID < added[j].ExtensionID })
	var b strings.Builder
	b.WriteString(p.ETag)
	for _, a := range added {
		b.WriteString("\x00" + a.ExtensionID.String() + "@" + a.Version)
	}
	allowed := append(append(make([]Allowance, 0, len(p.Allowed)+len(added)), p.Allowed...), added...)
	sort.Slice(allowed, func(i, j int) bool { return allowed[i].ExtensionID < allowed[j].ExtensionID })
	p.Allowed, p.matchers, p.advIndex = allowed, matchers, advisories // built once above: the composed copy need not rebuild them
	sum := sha256.Sum256([]byte(b.String()))
	p.ETag = `"p-` + hex.EncodeToString(sum[:])[:32] + `"`
	return p
}
