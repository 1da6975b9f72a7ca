package vscodepolicy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/adapters/vscodepolicy/vscodepolicytest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// TestEachEditorGetsItsOwnLocation: the same value at each editor's registry
// key and preference domain, one profile identity per editor, VSCodium's
// vendor key, and Cursor refused with the reason instead of a pretend file.
func TestEachEditorGetsItsOwnLocation(t *testing.T) {
	t.Parallel()
	p := compile(t, group.ModeAllowlist, group.EnforcementEnforce)
	want := map[string][2]string{
		"vscode":          {`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\VSCode`, "com.microsoft.VSCode"},
		"vscode-insiders": {`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\VSCodeInsiders`, "com.microsoft.VSCodeInsiders"},
		"vscodium":        {`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\VSCodium\VSCodium`, "com.vscodium"},
	}
	profiles := map[string]bool{}
	for name, loc := range want {
		ed, err := vscodepolicy.ParseEditor(strings.ToUpper(name))
		if err != nil {
			t.Fatal(err)
		}
		reg := vscodepolicy.RenderFor(p, "Platform", vscodepolicy.FormatReg, ed)
		f, err := vscodepolicytest.ParseReg(reg.Body)
		if err != nil || len(f.Sections) != 1 || f.Sections[loc[0]]["AllowedExtensions"] == "" || reg.Location != loc[0] {
			t.Errorf("%s .reg: %v %v at %q\n%s", name, err, vscodepolicytest.Keys(f.Sections), reg.Location, reg.Body)
		}
		mc := vscodepolicy.RenderFor(p, "Platform", vscodepolicy.FormatMobileconfig, ed)
		v, err := vscodepolicytest.ParsePlist(mc.Body)
		if err != nil {
			t.Fatal(err)
		}
		top := v.(map[string]vscodepolicytest.PlistValue)
		payload := top["PayloadContent"].([]vscodepolicytest.PlistValue)[0].(map[string]vscodepolicytest.PlistValue)
		if payload["PayloadType"] != loc[1] || payload["AllowedExtensions"] != reg.Value || mc.Location != loc[1] {
			t.Errorf("%s profile payload %v", name, payload)
		}
		id, _ := top["PayloadIdentifier"].(string)
		if profiles[id] {
			t.Errorf("%s shares the profile identifier %s: installing it would replace another editor's", name, id)
		}
		profiles[id] = true
		js := vscodepolicy.RenderFor(p, "Platform", vscodepolicy.FormatJSON, ed)
		if js.Location != "/etc/vscode/policy.json" {
			t.Errorf("%s json at %q", name, js.Location)
		}
		unverified := slices.ContainsFunc(js.Differences, func(d vscodepolicy.Difference) bool { return d.Kind == vscodepolicy.DiffUnverifiedLocation })
		if unverified != (name == "vscodium") {
			t.Errorf("%s: unverified location listed %v", name, unverified)
		}
	}
	if string(vscodepolicy.Render(p, "Platform", vscodepolicy.FormatMobileconfig).Body) !=
		string(vscodepolicy.RenderFor(p, "Platform", vscodepolicy.FormatMobileconfig, vscodepolicy.Editors["vscode"]).Body) {
		t.Error("the default rendering is not VS Code's")
	}
	for _, name := range []string{"cursor", "windsurf", "code-server"} {
		if _, err := vscodepolicy.ParseEditor(name); err == nil || !strings.Contains(err.Error(), "editor") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// code-server ignores the policy file: refused, saying where the value
	// can go instead and that it is not a machine policy there.
	var de *domain.Error
	if _, err := vscodepolicy.ParseEditor("code-server"); !errors.As(err, &de) || len(de.Fields) != 1 ||
		!strings.Contains(de.Fields[0].Message, "extensions.allowed") || !strings.Contains(de.Fields[0].Message, "ignored") {
		t.Errorf("code-server: %v", err)
	}
}
