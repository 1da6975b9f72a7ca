package nativepolicy_test

import (
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"howett.net/plist"
)

// TestInstalledExportMatchesTheServersDigest: a group's export, installed the way an administrator
// installs it (the json file as /etc/vscode/policy.json; the mobileconfig's payload as the managed
// preferences macOS writes from it, in binary form), reads back with the digest the server compares
// with (docs/agent-editors.md, matches_group_export).
func TestInstalledExportMatchesTheServersDigest(t *testing.T) {
	p := policy.Policy{GroupID: domain.NewID(), Mode: group.ModeAllowlist, Enforcement: group.EnforcementAudit, ETag: `"e1"`,
		Required: []policy.Requirement{{ExtensionID: "ms-python.python", Version: "2024.2.1"}},
		Allowed:  []policy.Allowance{{ExtensionID: "esbenp.prettier-vscode"}},
		Blocked:  []policy.BlockRule{{PatternType: blocklist.PatternPublisher, Pattern: "evil"}}}
	value, _ := vscodepolicy.AllowedExtensions(p)
	want := sum(value)

	root := tempdir.New(t)
	write(t, root, "etc/vscode/policy.json", vscodepolicy.Render(p, "Team <A&B>", vscodepolicy.FormatJSON).Body)
	if got := nativepolicy.Read("linux", nativepolicy.Sources{Root: root}); got.AllowedExtensionsSHA256 != want || got.Error != "" {
		t.Errorf("policy.json: %+v, want value digest %s", got, want)
	}

	var profile struct {
		PayloadContent []map[string]any `plist:"PayloadContent"`
	}
	if _, err := plist.Unmarshal(vscodepolicy.Render(p, "Team <A&B>", vscodepolicy.FormatMobileconfig).Body, &profile); err != nil {
		t.Fatal(err)
	}
	prefs := map[string]any{}
	for k, v := range profile.PayloadContent[0] {
		if k == "AllowedExtensions" {
			prefs[k] = v
		}
	}
	managed, err := plist.Marshal(prefs, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, "Library/Managed Preferences/com.microsoft.VSCode.plist", managed)
	if got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root}); got.AllowedExtensionsSHA256 != want || got.Error != "" {
		t.Errorf("managed preferences: %+v, want value digest %s", got, want)
	}
}
