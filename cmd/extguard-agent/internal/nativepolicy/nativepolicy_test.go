package nativepolicy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
	"howett.net/plist"
)

// value is an AllowedExtensions value as extguard exports it.
const value = `{"*":false,"esbenp.prettier-vscode":true,"ms-python.python":["2024.2.1"]}`

func sum(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

func write(t *testing.T, root, rel string, body []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLinuxPolicyFile(t *testing.T) {
	exported := `{
  "AllowedExtensions": "{\"*\":false,\"esbenp.prettier-vscode\":true,\"ms-python.python\":[\"2024.2.1\"]}"
}
`
	for name, tc := range map[string]struct {
		body, wantValue string
		wantErr         bool
	}{
		"exported":             {body: exported, wantValue: value},
		"byte order mark":      {body: "\xef\xbb\xbf" + exported, wantValue: value},
		"value written inline": {body: `{"AllowedExtensions": {"*": false, "esbenp.prettier-vscode": true}}`, wantValue: `{"*":false,"esbenp.prettier-vscode":true}`},
		"other policies only":  {body: `{"UpdateMode": "none"}`},
		"corrupt":              {body: `{"AllowedExtensions": "{`, wantErr: true},
		"not an object":        {body: `[]`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			root := tempdir.New(t)
			write(t, root, "etc/vscode/policy.json", []byte(tc.body))
			got := nativepolicy.Read("linux", nativepolicy.Sources{Root: root})
			if !got.Present || got.SHA256 != sum(tc.body) || got.Source != filepath.Join(root, "etc", "vscode", "policy.json") {
				t.Fatalf("%+v", got)
			}
			if (got.Error != "") != tc.wantErr {
				t.Fatalf("error %q, want error %v", got.Error, tc.wantErr)
			}
			want := ""
			if tc.wantValue != "" {
				want = sum(tc.wantValue)
			}
			if got.AllowedExtensionsSHA256 != want {
				t.Errorf("value digest %s, want %s", got.AllowedExtensionsSHA256, want)
			}
		})
	}
}

func TestLinuxPolicyAbsentOrUnreadable(t *testing.T) {
	root := tempdir.New(t)
	if got := nativepolicy.Read("linux", nativepolicy.Sources{Root: root}); got.Present || got.Error != "" || got.SHA256 != "" {
		t.Fatalf("absent: %+v", got)
	}
	// A folder where the file should be cannot be read (as root, a mode-000 file still can).
	if err := os.MkdirAll(filepath.Join(root, "etc", "vscode", "policy.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := nativepolicy.Read("freebsd", nativepolicy.Sources{Root: root}); got.Present || got.Error == "" {
		t.Fatalf("unreadable: %+v", got)
	}
}

// xmlPlist is managed preferences as macOS writes them in XML form.
const xmlPlist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>AllowedExtensions</key>
	<string>{"*":false,"esbenp.prettier-vscode":true,"ms-python.python":["2024.2.1"]}</string>
	<key>UpdateMode</key>
	<string>none</string>
</dict>
</plist>
`

func TestMacOSManagedPreferences(t *testing.T) {
	binary, err := plist.Marshal(map[string]any{"AllowedExtensions": value, "PayloadUUID": "x"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(binary), "bplist00") {
		t.Fatalf("not a binary plist: %q", binary[:8])
	}
	notString, _ := plist.Marshal(map[string]any{"AllowedExtensions": map[string]bool{"*": false}}, plist.XMLFormat)
	for name, tc := range map[string]struct {
		body           []byte
		wantValue, err bool
	}{
		"xml":              {body: []byte(xmlPlist), wantValue: true},
		"binary":           {body: binary, wantValue: true},
		"no such policy":   {body: []byte(strings.Replace(xmlPlist, "AllowedExtensions", "Other", 1))},
		"value not string": {body: notString, err: true},
		"truncated binary": {body: binary[:len(binary)/2], err: true},
		"not a plist":      {body: []byte("\x00\x01garbage"), err: true},
	} {
		t.Run(name, func(t *testing.T) {
			root := tempdir.New(t)
			write(t, root, "Library/Managed Preferences/com.microsoft.VSCode.plist", tc.body)
			got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root})
			if !got.Present || got.SHA256 != sum(string(tc.body)) || (got.Error != "") != tc.err {
				t.Fatalf("%+v", got)
			}
			if tc.wantValue != (got.AllowedExtensionsSHA256 == sum(value)) {
				t.Errorf("value digest %q", got.AllowedExtensionsSHA256)
			}
		})
	}
	if got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: tempdir.New(t)}); got.Present {
		t.Errorf("absent: %+v", got)
	}
}

func TestWindowsRegistryReader(t *testing.T) {
	reg := func(v string, ok bool, err error) nativepolicy.RegistryReader {
		return func(key, name string) (string, string, bool, error) {
			if key != nativepolicy.WindowsPolicyKey || name != "AllowedExtensions" {
				t.Fatalf("read %s %s", key, name)
			}
			return v, `HKCU\` + key, ok, err
		}
	}
	got := nativepolicy.Read("windows", nativepolicy.Sources{Registry: reg(value, true, nil)})
	if !got.Present || got.SHA256 != sum(value) || got.AllowedExtensionsSHA256 != sum(value) || got.Source != `HKCU\SOFTWARE\Policies\Microsoft\VSCode` {
		t.Fatalf("%+v", got)
	}
	if got := nativepolicy.Read("windows", nativepolicy.Sources{Registry: reg("", false, nil)}); got.Present || got.Error != "" {
		t.Fatalf("absent: %+v", got)
	}
	if got := nativepolicy.Read("windows", nativepolicy.Sources{Registry: reg("", false, errors.New("access denied"))}); got.Present || got.Error != "access denied" {
		t.Fatalf("error: %+v", got)
	}
}

func TestMacOSUserManagedPreferences(t *testing.T) {
	root := tempdir.New(t)
	write(t, root, "Library/Managed Preferences/alice/com.microsoft.VSCode.plist", []byte(xmlPlist))
	got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root, User: "alice"})
	if !got.Present || got.AllowedExtensionsSHA256 != sum(value) || !strings.HasSuffix(got.Source, filepath.Join("alice", "com.microsoft.VSCode.plist")) {
		t.Fatalf("user profile: %+v", got)
	}
	if got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root, User: "bob"}); got.Present {
		t.Fatalf("another user's profile: %+v", got)
	}
	if got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root, User: "../Managed Preferences/alice"}); got.Present {
		t.Fatalf("a user name must not reach other folders: %+v", got)
	}
	// The device's profile wins.
	device, _ := plist.Marshal(map[string]any{"AllowedExtensions": `{"*":true}`}, plist.BinaryFormat)
	write(t, root, "Library/Managed Preferences/com.microsoft.VSCode.plist", device)
	if got := nativepolicy.Read("darwin", nativepolicy.Sources{Root: root, User: "alice"}); got.AllowedExtensionsSHA256 != sum(`{"*":true}`) {
		t.Fatalf("device profile: %+v", got)
	}
}
