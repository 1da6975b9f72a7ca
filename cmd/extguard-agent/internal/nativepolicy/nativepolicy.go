// Package nativepolicy reads the editor policy installed on the machine: VS Code's AllowedExtensions
// as an administrator delivers it outside extguard (Linux /etc/vscode/policy.json, a macOS
// configuration profile's managed preferences, Windows Group Policy in the registry), so the server
// can show which machines the editor itself will hold to the group's list. It only reads.
package nativepolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/cappedfile"
	"github.com/extguard/extguard/protocol/agentv1"
	"howett.net/plist"
)

const (
	// LinuxPolicyFile is where VS Code reads machine policy on Linux.
	LinuxPolicyFile = "/etc/vscode/policy.json"
	// DarwinPolicyFile is the managed preferences macOS writes for a device configuration profile of
	// the com.microsoft.VSCode domain; a user profile's go to darwinManagedDir/<user>/.
	DarwinPolicyFile = "/Library/Managed Preferences/com.microsoft.VSCode.plist"
	darwinManagedDir = "/Library/Managed Preferences"
	// WindowsPolicyKey is the Group Policy key under HKEY_LOCAL_MACHINE (then HKEY_CURRENT_USER).
	WindowsPolicyKey = `SOFTWARE\Policies\Microsoft\VSCode`

	allowedExtensions = "AllowedExtensions"
	maxPolicyBytes    = 1 << 20 // real policies are kilobytes
)

// ErrNoRegistry: the registry is read only on Windows.
var ErrNoRegistry = errors.New("no Windows registry on this system")

// RegistryReader reads a string value of a key under HKEY_LOCAL_MACHINE or, when absent there,
// HKEY_CURRENT_USER; ok is false when neither has it. where names the hive and key it came from.
type RegistryReader func(key, value string) (text, where string, ok bool, err error)

// Sources are where Read looks; the zero value reads this machine.
type Sources struct {
	Root     string         // prefix of the policy file paths; "" is "/" (tests use a temporary folder)
	Registry RegistryReader // nil: this machine's registry (an error off Windows)
	User     string         // macOS: the user whose managed preferences count when the device has none
}

// Read reports the policy installed for goos ("linux", "darwin", "windows"; other unixes use the
// Linux file). It never fails: what went wrong is in the answer's Error.
func Read(goos string, s Sources) agentv1.InstalledNativePolicy {
	switch goos {
	case "windows":
		reg := s.Registry
		if reg == nil {
			reg = hostRegistry
		}
		return fromRegistry(reg)
	case "darwin":
		device := fromFile(filepath.Join(rootOf(s), filepath.FromSlash(DarwinPolicyFile)), valueFromPlist)
		if device.Present || device.Error != "" || s.User == "" || !isPlainName(s.User) {
			return device
		}
		if user := fromFile(filepath.Join(rootOf(s), filepath.FromSlash(darwinManagedDir), s.User, filepath.Base(DarwinPolicyFile)), valueFromPlist); user.Present || user.Error != "" {
			return user
		}
		return device
	default:
		return fromFile(filepath.Join(rootOf(s), filepath.FromSlash(LinuxPolicyFile)), valueFromJSON)
	}
}

// isPlainName keeps a user name from leading out of the managed preferences folder.
func isPlainName(s string) bool {
	return s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}

func rootOf(s Sources) string {
	if s.Root == "" {
		return string(filepath.Separator)
	}
	return s.Root
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func fromFile(name string, value func([]byte) (string, bool, error)) agentv1.InstalledNativePolicy {
	out := agentv1.InstalledNativePolicy{Source: name}
	b, err := cappedfile.Read(name, maxPolicyBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out
	case err != nil:
		out.Error = err.Error()
		return out
	}
	out.Present, out.SHA256 = true, digest(b)
	v, ok, err := value(b)
	switch {
	case err != nil:
		out.Error = fmt.Sprintf("%s: %v", name, err)
	case ok:
		out.AllowedExtensionsSHA256 = digest([]byte(v))
	}
	return out
}

// valueFromJSON reads policy.json: an object whose AllowedExtensions is the value as a string (as
// extguard exports it) or, as some hand-written files have it, the object itself.
func valueFromJSON(b []byte) (string, bool, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &doc); err != nil {
		return "", false, err
	}
	raw, ok := doc[allowedExtensions]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return "", false, err
	}
	return compact.String(), true, nil
}

// valueFromPlist reads managed preferences in any of the property list formats macOS writes
// (binary, XML; OpenStep too).
func valueFromPlist(b []byte) (string, bool, error) {
	var doc map[string]any
	if _, err := plist.Unmarshal(b, &doc); err != nil {
		return "", false, err
	}
	v, ok := doc[allowedExtensions]
	if !ok {
		return "", false, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", false, fmt.Errorf("%s is a %T, not a string", allowedExtensions, v)
	}
	return s, true, nil
}

func fromRegistry(reg RegistryReader) agentv1.InstalledNativePolicy {
	out := agentv1.InstalledNativePolicy{Source: `HKLM\` + WindowsPolicyKey}
	v, where, ok, err := reg(WindowsPolicyKey, allowedExtensions)
	if where != "" {
		out.Source = where
	}
	switch {
	case err != nil:
		out.Error = err.Error()
	case ok:
		out.Present, out.SHA256 = true, digest([]byte(v))
		out.AllowedExtensionsSHA256 = out.SHA256 // the value is the whole of what is installed
	}
	return out
}
