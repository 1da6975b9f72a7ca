package nativepolicy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/policy"
	"golang.org/x/sys/windows/registry"
)

func setPolicy(t *testing.T, root registry.Key, v string) {
	t.Helper()
	k, _, err := registry.CreateKey(root, nativepolicy.WindowsPolicyKey, registry.SET_VALUE)
	if err != nil {
		t.Skipf("cannot write the policy key (%v); run as an administrator or under Wine", err)
	}
	defer k.Close()
	if err := k.SetStringValue("AllowedExtensions", v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = registry.DeleteKey(root, nativepolicy.WindowsPolicyKey) })
}

// TestHostRegistry reads the real registry: the user's value, then the machine's, which wins.
func TestHostRegistry(t *testing.T) {
	if got := nativepolicy.Read("windows", nativepolicy.Sources{}); got.Present {
		t.Skipf("a policy is already installed on this machine: %+v", got)
	}
	user := `{"*":true}`
	setPolicy(t, registry.CURRENT_USER, user)
	got := nativepolicy.Read("windows", nativepolicy.Sources{})
	if !got.Present || got.SHA256 != sum(user) || got.Source != `HKCU\SOFTWARE\Policies\Microsoft\VSCode` || got.Error != "" {
		t.Fatalf("user policy: %+v", got)
	}
	setPolicy(t, registry.LOCAL_MACHINE, value)
	got = nativepolicy.Read("windows", nativepolicy.Sources{})
	if !got.Present || got.AllowedExtensionsSHA256 != sum(value) || got.Source != `HKLM\SOFTWARE\Policies\Microsoft\VSCode` {
		t.Fatalf("machine policy: %+v", got)
	}
}

// TestHugeRegistryValueIsRefused: the value's size is asked before it is read, so a runaway value
// is an error in the report, not megabytes in the agent.
func TestHugeRegistryValueIsRefused(t *testing.T) {
	if got := nativepolicy.Read("windows", nativepolicy.Sources{}); got.Present {
		t.Skipf("a policy is already installed on this machine: %+v", got)
	}
	setPolicy(t, registry.CURRENT_USER, strings.Repeat("x", 1<<20+1))
	got := nativepolicy.Read("windows", nativepolicy.Sources{})
	if got.Present || !strings.Contains(got.Error, "over") || got.Source != `HKCU\SOFTWARE\Policies\Microsoft\VSCode` {
		t.Fatalf("%+v", got)
	}
}

// TestImportedRegExportMatchesTheServersDigest: the group's .reg export, imported with reg.exe as an
// administrator would, reads back with the digest the server compares with.
func TestImportedRegExportMatchesTheServersDigest(t *testing.T) {
	if got := nativepolicy.Read("windows", nativepolicy.Sources{}); got.Present {
		t.Skipf("a policy is already installed on this machine: %+v", got)
	}
	p := policy.Policy{GroupID: domain.NewID(), Mode: group.ModeAllowlist, Enforcement: group.EnforcementAudit, ETag: `"e1"`,
		Allowed: []policy.Allowance{{ExtensionID: "esbenp.prettier-vscode"}}}
	value, _ := vscodepolicy.AllowedExtensions(p)
	file := filepath.Join(tempdir.New(t), "policy.reg")
	if err := os.WriteFile(file, vscodepolicy.Render(p, "Team", vscodepolicy.FormatReg).Body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("reg", "import", file).CombinedOutput(); err != nil {
		t.Skipf("reg import (needs an administrator): %v %s", err, out)
	}
	t.Cleanup(func() { _ = registry.DeleteKey(registry.LOCAL_MACHINE, nativepolicy.WindowsPolicyKey) })
	got := nativepolicy.Read("windows", nativepolicy.Sources{})
	if !got.Present || got.AllowedExtensionsSHA256 != sum(value) || got.Source != `HKLM\SOFTWARE\Policies\Microsoft\VSCode` {
		t.Fatalf("imported .reg: %+v, want value digest %s", got, sum(value))
	}
}
