package nativepolicy_test

import (
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
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
