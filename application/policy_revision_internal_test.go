package application

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// TestFileDigestCoversEveryFieldApplyWrites: a revision binds the planned
// file by its digest, so every field an apply writes must change it (else
// an edited file would apply at a reviewed revision): each field of each
// resource, a section left out or emptied, and prune. Every variant below
// differs in one of them from the base and from each other; the base with
// its entries in another order is the same file.
func TestFileDigestCoversEveryFieldApplyWrites(t *testing.T) {
	t.Parallel()
	settings := func(mode group.Mode, enf group.Enforcement, hb, stale, offline int) group.Settings {
		s, err := group.NewSettings(mode, enf, hb, stale, offline)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	entry := func(p extension.EntryParams) extension.Entry {
		if p.ExtensionID == "" {
			p.ExtensionID = "acme.tool"
		}
		e, err := extension.NewEntry(p)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	block := func(typ, pattern, reason string, active bool) blocklist.Entry {
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: typ, Pattern: pattern, Reason: reason, IsActive: &active})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	sha := strings.Repeat("a", 64)
	baseGroup := PolicyGroup{Name: "laptops", Description: "d", Settings: settings(group.ModeBlocklist, group.EnforcementEnforce, 30, 120, 3600)}
	baseEntry := extension.EntryParams{Name: "Tool", PinnedVersion: "1.0.0", SHA256: sha, MarketplaceURL: "https://example.com/t.vsix", IsBlocked: true, BlockReason: "r"}
	base := func() PolicyFile {
		return PolicyFile{Sections: AllSections,
			Groups:      []PolicyGroup{baseGroup, {Name: "zz"}},
			Catalog:     []extension.Entry{entry(baseEntry), entry(extension.EntryParams{ExtensionID: "zz.other"})},
			Assignments: []PolicyAssignment{{Group: "laptops", ExtensionID: "acme.tool", Required: true}, {Group: "zz", ExtensionID: "zz.other"}},
			Blocklist:   []blocklist.Entry{block("publisher", "evil", "malware", true), block("exact", "zz.bad", "x", true)}}
	}
	withGroup := func(g PolicyGroup) PolicyFile { f := base(); f.Groups[0] = g; return f }
	withEntry := func(change func(*extension.EntryParams)) PolicyFile {
		f, p := base(), baseEntry
		change(&p)
		f.Catalog[0] = entry(p)
		return f
	}
	withAssignment := func(a PolicyAssignment) PolicyFile { f := base(); f.Assignments[0] = a; return f }
	withBlock := func(e blocklist.Entry) PolicyFile { f := base(); f.Blocklist[0] = e; return f }
	without := func(drop func(*PolicyFile)) PolicyFile { f := base(); drop(&f); return f }
	g := baseGroup
	variants := map[string]PolicyFile{
		"group name":                 withGroup(PolicyGroup{Name: "desktops", Description: g.Description, Settings: g.Settings}),
		"group description":          withGroup(PolicyGroup{Name: g.Name, Description: "e", Settings: g.Settings}),
		"group mode":                 withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeAllowlist, group.EnforcementEnforce, 30, 120, 3600)}),
		"group enforcement":          withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeBlocklist, group.EnforcementAudit, 30, 120, 3600)}),
		"group heartbeat":            withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeBlocklist, group.EnforcementEnforce, 40, 120, 3600)}),
		"group stale after":          withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeBlocklist, group.EnforcementEnforce, 30, 130, 3600)}),
		"group offline after":        withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeBlocklist, group.EnforcementEnforce, 30, 120, 3700)}),
		"group setting left default": withGroup(PolicyGroup{Name: g.Name, Description: g.Description, Settings: settings(group.ModeBlocklist, group.EnforcementEnforce, 0, 120, 3600)}),
		"catalog extension_id":       withEntry(func(p *extension.EntryParams) { p.ExtensionID = "acme.other" }),
		"catalog name":               withEntry(func(p *extension.EntryParams) { p.Name = "Tool 2" }),
		"catalog pinned_version":     withEntry(func(p *extension.EntryParams) { p.PinnedVersion = "1.0.1" }),
		"catalog sha256_checksum":    withEntry(func(p *extension.EntryParams) { p.SHA256 = strings.Repeat("b", 64) }),
		"catalog marketplace_url":    withEntry(func(p *extension.EntryParams) { p.MarketplaceURL = "https://example.com/u.vsix" }),
		"catalog is_blocked":         withEntry(func(p *extension.EntryParams) { p.IsBlocked, p.BlockReason = false, "" }),
		"catalog block_reason":       withEntry(func(p *extension.EntryParams) { p.BlockReason = "s" }),
		"assignment group":           withAssignment(PolicyAssignment{Group: "zz", ExtensionID: "acme.tool", Required: true}),
		"assignment extension_id":    withAssignment(PolicyAssignment{Group: "laptops", ExtensionID: "zz.other", Required: true}),
		"assignment required":        withAssignment(PolicyAssignment{Group: "laptops", ExtensionID: "acme.tool"}),
		"block pattern_type":         withBlock(block("glob", "evil", "malware", true)),
		"block pattern":              withBlock(block("publisher", "evil2", "malware", true)),
		"block reason":               withBlock(block("publisher", "evil", "malware!", true)),
		"block is_active":            withBlock(block("publisher", "evil", "malware", false)),
		"groups left out":            without(func(f *PolicyFile) { f.Sections.Groups, f.Groups = false, nil }),
		"groups emptied":             without(func(f *PolicyFile) { f.Groups = nil }),
		"catalog left out":           without(func(f *PolicyFile) { f.Sections.Catalog, f.Catalog = false, nil }),
		"catalog emptied":            without(func(f *PolicyFile) { f.Catalog = nil }),
		"assignments left out":       without(func(f *PolicyFile) { f.Sections.Assignments, f.Assignments = false, nil }),
		"assignments emptied":        without(func(f *PolicyFile) { f.Assignments = nil }),
		"blocklist left out":         without(func(f *PolicyFile) { f.Sections.Blocklist, f.Blocklist = false, nil }),
		"blocklist emptied":          without(func(f *PolicyFile) { f.Blocklist = nil }),
		"an entry less":              without(func(f *PolicyFile) { f.Blocklist = f.Blocklist[:1] }),
	}
	seen := map[string]string{fileDigest(base(), false): "the base", fileDigest(base(), true): "the base with prune"}
	if len(seen) != 2 {
		t.Fatal("prune does not change the digest")
	}
	for name, f := range variants {
		d := fileDigest(f, false)
		if other, dup := seen[d]; dup {
			t.Errorf("%s: the same digest as %s", name, other)
		}
		seen[d] = name
	}
	reordered := base()
	reordered.Groups[0], reordered.Groups[1] = reordered.Groups[1], reordered.Groups[0]
	reordered.Catalog[0], reordered.Catalog[1] = reordered.Catalog[1], reordered.Catalog[0]
	reordered.Assignments[0], reordered.Assignments[1] = reordered.Assignments[1], reordered.Assignments[0]
	reordered.Blocklist[0], reordered.Blocklist[1] = reordered.Blocklist[1], reordered.Blocklist[0]
	if fileDigest(reordered, false) != fileDigest(base(), false) {
		t.Error("the same entries in another order: another digest")
	}
}
