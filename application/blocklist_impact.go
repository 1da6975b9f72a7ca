package application

import (
	"context"
	"slices"
	"sort"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// ImpactSample is how many impacted agents an impact answer lists.
const ImpactSample = 20

// Impact is what a set of block patterns would do to the fleet now: the
// enrolled agents that have a matching extension installed, counted per
// group. In an enforce group each of them uninstalls it; in an audit group
// each turns non-compliant.
type Impact struct {
	Agents  int // distinct agents, every group
	Enforce int // of which in enforce groups (uninstalls)
	Audit   int // of which in audit groups (reported only)
	Groups  []GroupImpact
	Sample  []ImpactedAgent // the first agents by id, at most the sample size
}

// GroupImpact is one group's share of an impact.
type GroupImpact struct {
	GroupID     domain.ID
	GroupName   string
	Enforcement group.Enforcement
	Agents      int
}

// ImpactedAgent is one agent an impact names, with the first matching
// extension it has installed (by id) and that extension's version.
type ImpactedAgent struct {
	AgentID     domain.ID
	DisplayName string
	MachineID   string
	GroupID     domain.ID
	GroupName   string
	Enforcement group.Enforcement
	ExtensionID string
	Version     string
}

// ImpactSelector is the installed extensions an impact is about: exact ids
// or whole publishers (either may be empty; both empty select nothing).
type ImpactSelector struct {
	ExtensionIDs []string
	Publishers   []string
}

func (s ImpactSelector) empty() bool { return len(s.ExtensionIDs) == 0 && len(s.Publishers) == 0 }

// BlockImpact computes the impact of block patterns from the current
// installations. It is the one function behind the blocklist impact preview
// and the policy plan's impact, so both count the same way.
type BlockImpact struct{ Installations InstallationReader }

// Of answers the impact of patterns, listing up to sample agents.
func (b BlockImpact) Of(ctx context.Context, patterns []blocklist.Pattern, sample int) (Impact, error) {
	sel, err := b.selector(ctx, patterns)
	if err != nil {
		return Impact{}, err
	}
	if sel.empty() {
		return Impact{Groups: []GroupImpact{}, Sample: []ImpactedAgent{}}, nil
	}
	groups, agents, err := b.Installations.Impact(ctx, sel, sample)
	if err != nil {
		return Impact{}, err
	}
	return summarize(groups, agents), nil
}

// selector turns block patterns into the installed extensions they select.
// Exact and publisher patterns go to the database as they are; globs and
// regexes are matched in Go over the distinct installed ids (FindInstallations
// does the same), so the query itself is one set-based pass over the
// indexes. A plan's verdict impact selects the items it judges the same way.
func (b BlockImpact) selector(ctx context.Context, patterns []blocklist.Pattern) (ImpactSelector, error) {
	each, err := b.selectors(ctx, patterns)
	if err != nil {
		return ImpactSelector{}, err
	}
	var sel ImpactSelector
	for _, s := range each {
		sel.ExtensionIDs = append(sel.ExtensionIDs, s.ExtensionIDs...)
		sel.Publishers = append(sel.Publishers, s.Publishers...)
	}
	slices.Sort(sel.ExtensionIDs)
	slices.Sort(sel.Publishers)
	return ImpactSelector{ExtensionIDs: slices.Compact(sel.ExtensionIDs), Publishers: slices.Compact(sel.Publishers)}, nil
}

// selectors answers what each pattern selects, listing the installed ids
// once for all the globs and regexes.
func (b BlockImpact) selectors(ctx context.Context, patterns []blocklist.Pattern) (map[BlockKey]ImpactSelector, error) {
	out := make(map[BlockKey]ImpactSelector, len(patterns))
	var installed []string
	listed := false
	for _, p := range patterns {
		k := BlockKey{p.Type(), p.String()}
		switch p.Type() {
		case blocklist.PatternExact:
			out[k] = ImpactSelector{ExtensionIDs: []string{p.String()}}
		case blocklist.PatternPublisher:
			out[k] = ImpactSelector{Publishers: []string{p.String()}}
		case blocklist.PatternGlob, blocklist.PatternRegex:
			if !listed {
				var err error
				if installed, err = b.Installations.ExtensionIDs(ctx); err != nil {
					return nil, err
				}
				listed = true
			}
			var sel ImpactSelector
			for _, id := range installed {
				if p.Matches(extension.ExtensionID(id)) {
					sel.ExtensionIDs = append(sel.ExtensionIDs, id)
				}
			}
			out[k] = sel
		}
	}
	return out, nil
}

func summarize(groups []GroupImpact, agents []ImpactedAgent) Impact {
	im := Impact{Groups: groups, Sample: agents}
	if im.Groups == nil {
		im.Groups = []GroupImpact{}
	}
	if im.Sample == nil {
		im.Sample = []ImpactedAgent{}
	}
	for _, g := range groups {
		im.Agents += g.Agents
		if g.Enforcement == group.EnforcementEnforce {
			im.Enforce += g.Agents
		} else {
			im.Audit += g.Agents
		}
	}
	sort.Slice(im.Groups, func(i, j int) bool {
		if im.Groups[i].Agents != im.Groups[j].Agents {
			return im.Groups[i].Agents > im.Groups[j].Agents
		}
		return im.Groups[i].GroupName < im.Groups[j].GroupName
	})
	return im
}

// PreviewBlocklistImpact answers what a blocklist entry would block if it
// were created now. It writes nothing: the body is validated exactly as
// CreateBlocklistEntry validates it, and an inactive entry blocks nothing.
type PreviewBlocklistImpact struct{ Impact BlockImpact }

// Execute answers the impact. Errors: invalid (every bad field, as create).
func (uc PreviewBlocklistImpact) Execute(ctx context.Context, in NewBlocklistInput) (_ Impact, err error) {
	ctx, obs := observe(ctx, "PreviewBlocklistImpact")
	defer obs.end(&err)
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: in.PatternType, Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
	if err != nil {
		return Impact{}, err
	}
	var patterns []blocklist.Pattern
	if e.IsActive() {
		patterns = append(patterns, e.Pattern())
	}
	return uc.Impact.Of(ctx, patterns, ImpactSample)
}
