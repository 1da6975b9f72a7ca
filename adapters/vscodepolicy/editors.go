package vscodepolicy

import (
	"strings"

	"github.com/extguard/extguard/domain"
)

// Editor is where one editor of the VS Code family reads its machine policy.
// Every location is taken from a public source, cited beside it; where none
// was found the field says so and the export lists it as a difference
// rather than guess.
type Editor struct {
	Name        string // the ?editor= value
	Title       string
	RegistryKey string // Windows, under HKEY_LOCAL_MACHINE
	MacDomain   string // macOS preference domain (the profile's PayloadType); "" when unknown
	LinuxFile   string
	Unverified  []string // locations no public source confirms, as difference texts
}

// Editors are the editors with an AllowedExtensions policy, by ?editor= name.
var Editors = map[string]Editor{
	// VS Code reads Software\Policies\Microsoft\<win32RegValueName> through
	// @vscode/policy-watcher (src/vs/platform/policy/node/nativePolicyService.ts),
	// win32RegValueName "VSCode"; on macOS the preferences of its bundle
	// identifier com.microsoft.VSCode; on Linux LINUX_SYSTEM_POLICY_FILE_PATH
	// = '/etc/vscode/policy.json' (src/vs/base/common/policy.ts, since 1.106).
	"vscode": {Name: "vscode", Title: "VS Code", RegistryKey: `SOFTWARE\Policies\Microsoft\VSCode`,
		MacDomain: "com.microsoft.VSCode", LinuxFile: "/etc/vscode/policy.json"},
	// Insiders ships VSCodeInsiders.admx (microsoft/vscode#235002, the
	// AllowedExtensions test plan): win32RegValueName "VSCodeInsiders",
	// bundle identifier com.microsoft.VSCodeInsiders; the Linux path is the
	// same constant of the shared source.
	"vscode-insiders": {Name: "vscode-insiders", Title: "VS Code Insiders", RegistryKey: `SOFTWARE\Policies\Microsoft\VSCodeInsiders`,
		MacDomain: "com.microsoft.VSCodeInsiders", LinuxFile: "/etc/vscode/policy.json"},
	// VSCodium sets win32RegValueName "VSCodium" (prepare_vscode.sh) and
	// patches the vendor (patches/fix-policies.patch): its policies live in
	// HKLM\SOFTWARE\Policies\VSCodium\VSCodium (VSCodium/vscodium#2723).
	// Its macOS bundle identifier is not set by a source we could read.
	"vscodium": {Name: "vscodium", Title: "VSCodium", RegistryKey: `SOFTWARE\Policies\VSCodium\VSCodium`,
		MacDomain: "com.vscodium", LinuxFile: "/etc/vscode/policy.json",
		Unverified: []string{"vscodium: the macOS preference domain com.vscodium and the Linux file /etc/vscode/policy.json are not confirmed by a public source; check them on one machine first"}},
}

// unsupportedEditors have no documented AllowedExtensions policy: exporting
// one would pretend. extguard agents enforce there.
var unsupportedEditors = map[string]string{
	// Cursor documents no machine policy for extensions (its enterprise
	// controls are account settings), and the VS Code policy locations are
	// not read by it as far as any public source says.
	"cursor": "Cursor documents no AllowedExtensions machine policy; extguard agents enforce its extensions",
	// code-server runs VS Code's server, whose command line and services
	// build their configuration with a NullPolicyService
	// (remoteExtensionHostAgentCli.ts in microsoft/vscode, and both
	// ConfigurationService constructions of code-server 4.139.1's bundled
	// server-main.js): /etc/vscode/policy.json is not read. Checked by hand
	// in 4.139.1: a {"*": false} policy there did not stop
	// --install-extension, while the same value as the extensions.allowed
	// user setting did (TestCodeServerHonoursTheExport). A user setting is
	// no machine policy: the user can change it.
	"code-server": "code-server reads no machine policy (/etc/vscode/policy.json is ignored); the value can only be set as the user setting extensions.allowed in <user-data-dir>/User/settings.json, which its users can change; extguard agents enforce its extensions",
}

// ParseEditor accepts the ?editor= names; empty is vscode. An editor
// without policy support is refused with the reason.
func ParseEditor(s string) (Editor, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "" {
		name = "vscode"
	}
	if e, ok := Editors[name]; ok {
		return e, nil
	}
	if why, ok := unsupportedEditors[name]; ok {
		return Editor{}, domain.Invalid("no native policy for this editor", domain.FieldError{Field: "editor", Message: why})
	}
	return Editor{}, domain.Invalid("invalid editor", domain.FieldError{Field: "editor", Message: "must be vscode, vscode-insiders, vscodium, cursor or code-server"})
}
