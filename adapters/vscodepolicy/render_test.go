package vscodepolicy_test

import (
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
)

func compile(t *testing.T, mode group.Mode, enforcement group.Enforcement) policy.Policy {
	t.Helper()
	s, err := group.NewSettings(mode, enforcement, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pinned, _ := extension.NewEntry(extension.EntryParams{ExtensionID: "ms-python.python", PinnedVersion: "2024.2.1"})
	free, _ := extension.NewEntry(extension.EntryParams{ExtensionID: "esbenp.prettier-vscode"})
	var rules []blocklist.Entry
	for _, r := range [][2]string{{"publisher", "evil"}, {"exact", "bad.one"}, {"glob", "*.copilot*"}, {"regex", "x[0-9]+\\.y"}} {
		e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: r[0], Pattern: r[1]})
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, e)
	}
	return policy.Compile(policy.CompileInput{GroupID: domain.NewID(), Settings: s, Blocklist: rules,
		Assignments: []policy.Assignment{{Entry: pinned, Required: true}, {Entry: free}}})
}

func TestAllowedExtensions(t *testing.T) {
	t.Parallel()
	value, lost := vscodepolicy.AllowedExtensions(compile(t, group.ModeAllowlist, group.EnforcementEnforce))
	want := `{"*":false,"bad.one":false,"esbenp.prettier-vscode":true,"evil":false,"ms-python.python":["2024.2.1"]}`
	if value != want {
		t.Fatalf("allowlist:\n got %s\nwant %s", value, want)
	}
	if len(lost) != 1 { // the required install: "*": false already refuses what the glob and regex match
		t.Fatalf("unexpressible: %v", lost)
	}
	// Blocklist mode keeps the pinned version (the editor honours it next
	// to "*": true) and loses the glob and regex blocks.
	value, lost = vscodepolicy.AllowedExtensions(compile(t, group.ModeBlocklist, group.EnforcementAudit))
	if value != `{"*":true,"bad.one":false,"evil":false,"ms-python.python":["2024.2.1"]}` {
		t.Fatalf("blocklist: %s", value)
	}
	all := strings.Join(lost, "|")
	for _, want := range []string{"audit mode", `glob block "*.copilot*"`, `regex block "x[0-9]+\\.y"`, `publisher block "evil"`, "required extensions"} {
		if !strings.Contains(all, want) {
			t.Errorf("%s is not named: %v", want, lost)
		}
	}
	if len(lost) != 5 {
		t.Errorf("unexpressible: %v", lost)
	}
}

func TestRenderFormats(t *testing.T) {
	t.Parallel()
	p := compile(t, group.ModeAllowlist, group.EnforcementEnforce)
	reg := string(vscodepolicy.Render(p, "Platform", vscodepolicy.FormatReg).Body)
	if !strings.Contains(reg, `"AllowedExtensions"="{\"*\":false,\"bad.one\":false,`) || !strings.Contains(reg, "\r\n") {
		t.Fatalf(".reg:\n%s", reg)
	}
	a := vscodepolicy.Render(p, "Platform & Co", vscodepolicy.FormatMobileconfig)
	b := vscodepolicy.Render(p, "Platform & Co", vscodepolicy.FormatMobileconfig)
	if string(a.Body) != string(b.Body) || !strings.Contains(string(a.Body), "Platform &amp; Co") {
		t.Fatal("profiles are deterministic and escaped")
	}
	if _, err := vscodepolicy.ParseFormat("pdf"); err == nil {
		t.Fatal("unknown format accepted")
	}
}
