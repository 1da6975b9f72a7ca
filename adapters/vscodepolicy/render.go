// Package vscodepolicy renders a group's compiled policy as the editors'
// native AllowedExtensions policy, for admins who also enforce through
// MDM: /etc/vscode/policy.json on Linux, a configuration profile on macOS
// and a .reg file on Windows.
//
// The value of AllowedExtensions is a JSON object, passed as a string: keys
// are extension ids (publisher.name) or publisher names, values are true,
// false, or an array of the allowed versions ("1.2.3"). In allowlist mode
// "*": false refuses everything not listed; in blocklist mode "*": true
// allows everything not refused, and pinned extensions are listed with
// their version. What the native form cannot express (glob and regex
// blocks, checksums, required installs, audit-only mode) is listed in
// Rendered.Differences (allowed.go says how the editor reads the value).
//
// Every value is escaped for the format it is written into, whatever the
// domain let through (stored rows and cached policies are not re-validated):
// the files are applied by GPO and MDM to every machine, so a pattern that
// ended a line in a .reg comment would add registry keys of its own. The
// AllowedExtensions value and the unexpressible rules are printable ASCII,
// so they read the same in every format and code page.
package vscodepolicy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
)

// Format is one of the native encodings.
type Format string

const (
	FormatJSON         Format = "json"
	FormatMobileconfig Format = "mobileconfig"
	FormatReg          Format = "reg"
)

// ParseFormat accepts json (the default when empty), mobileconfig and reg.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return FormatJSON, nil
	case FormatJSON, FormatMobileconfig, FormatReg:
		return f, nil
	}
	return "", domain.Invalid("invalid format", domain.FieldError{Field: "format", Message: "must be json, mobileconfig or reg"})
}

// Rendered is one rendering of a policy.
type Rendered struct {
	Body          []byte
	ContentType   string
	Filename      string
	Value         string       // the AllowedExtensions value (a JSON object as text)
	Unexpressible []string     // Differences as text: the header and the file's comment
	Differences   []Difference // every way the editor's verdicts differ from extguard's
	Location      string       // where the editor reads it: file, registry key or preference domain
}

// quote names a stored value in an unexpressible rule: in double quotes,
// escaped Go-style to printable ASCII, so that it reads back exactly
// (strconv.Unquote) and cannot end the comment line or header it is written
// into. Commas become \x2c too: the Extguard-Unexpressible header separates
// its items with commas, and a regex such as x{1,3} would split one in two.
func quote(s string) string { return strings.ReplaceAll(strconv.QuoteToASCII(s), ",", `\x2c`) }

// ascii replaces every character outside printable ASCII with its JSON
// escape (\u00e9, surrogate pairs above U+FFFF). On JSON text that keeps
// the meaning, since JSON's structure is ASCII and a character outside it
// can only be inside a string; elsewhere it keeps line breaks and bytes a
// code page would misread out of the file.
func ascii(s string) string {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		clean = s[i] >= 0x20 && s[i] < 0x7f
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s { // invalid UTF-8 ranges as U+FFFD
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// PolicyFile is the JSON form: the editors' policy.json.
type PolicyFile struct {
	AllowedExtensions string `json:"AllowedExtensions"`
}

// Render encodes the policy of the group named groupName in format f, for
// VS Code.
func Render(p policy.Policy, groupName string, f Format) Rendered {
	return RenderFor(p, groupName, f, Editors["vscode"])
}

// RenderFor encodes the policy for editor ed, at that editor's location.
func RenderFor(p policy.Policy, groupName string, f Format, ed Editor) Rendered {
	value, diffs := Translate(p)
	for _, u := range ed.Unverified {
		diffs = append(diffs, Difference{Kind: DiffUnverifiedLocation, Subject: ed.Name, Text: ascii(u)})
	}
	lost := Texts(diffs)
	r := Rendered{Value: value, Unexpressible: lost, Differences: diffs}
	switch f {
	case FormatMobileconfig:
		r.Body, r.ContentType, r.Filename = mobileconfig(p, groupName, value, ed), "application/x-apple-aspen-config", "extguard-policy.mobileconfig"
		r.Location = ed.MacDomain
	case FormatReg:
		r.Body, r.ContentType, r.Filename = reg(value, lost, ed.RegistryKey), "text/plain; charset=utf-8", "extguard-policy.reg"
		r.Location = `HKEY_LOCAL_MACHINE\` + ed.RegistryKey
	default:
		body, _ := json.MarshalIndent(PolicyFile{AllowedExtensions: value}, "", "  ")
		r.Body, r.ContentType, r.Filename = append(body, '\n'), "application/json", "policy.json"
		r.Location = ed.LinuxFile
	}
	return r
}

// reg is a Windows registry file setting the machine policy. regedit reads
// it line by line (CRLF), a file without BOM in the machine's ANSI code
// page, and values as quoted strings in which only backslash and double
// quote are escaped. So every line is printable ASCII: comments and the
// value go through ascii, and the value is then quoted.
func reg(value string, lost []string, key string) []byte {
	var b bytes.Buffer
	b.WriteString("Windows Registry Editor Version 5.00\r\n\r\n")
	b.WriteString("; Generated by extguard. Not expressible natively:\r\n")
	for _, l := range lost {
		b.WriteString(";   " + ascii(l) + "\r\n")
	}
	b.WriteString("\r\n[HKEY_LOCAL_MACHINE\\" + key + "]\r\n")
	b.WriteString(`"AllowedExtensions"=` + regString(value) + "\r\n")
	return b.Bytes()
}

var regEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// regString is s as a quoted .reg string.
func regString(s string) string { return `"` + regEscaper.Replace(ascii(s)) + `"` }

// mobileconfig is a macOS configuration profile with one payload of type
// com.microsoft.VSCode carrying AllowedExtensions as a string. UUIDs derive
// from the group and the policy's ETag, so re-rendering the same policy
// yields the same profile and a changed policy replaces the installed one
// (same PayloadIdentifier).
func mobileconfig(p policy.Policy, groupName, value string, ed Editor) []byte {
	gid := p.GroupID.String()
	profileID, salt := "com.extguard.policy."+gid, []string(nil)
	if ed.Name != "vscode" { // one profile per editor, so installing one keeps the others
		profileID, salt = profileID+"."+ed.Name, []string{ed.Name}
	}
	esc := xmlText
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>AllowedExtensions</key>
			<string>%s</string>
			<key>PayloadDisplayName</key>
			<string>%s allowed extensions</string>
			<key>PayloadIdentifier</key>
			<string>%s.%s</string>
			<key>PayloadType</key>
			<string>%s</string>
			<key>PayloadUUID</key>
			<string>%s</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>PayloadDescription</key>
	<string>Extensions allowed in %s for extguard group %s (policy %s)</string>
	<key>PayloadDisplayName</key>
	<string>extguard: %s</string>
	<key>PayloadIdentifier</key>
	<string>%s</string>
	<key>PayloadScope</key>
	<string>System</string>
	<key>PayloadType</key>
	<string>Configuration</string>
	<key>PayloadUUID</key>
	<string>%s</string>
	<key>PayloadVersion</key>
	<integer>1</integer>
</dict>
</plist>
`, esc(value), esc(ed.Title), esc(profileID), esc(ed.Name), esc(ed.MacDomain), esc(stableUUID(append([]string{gid, "payload", p.ETag}, salt...)...)),
		esc(ed.Title), esc(groupName), esc(p.ETag), esc(groupName), esc(profileID), esc(stableUUID(append([]string{gid, "profile", p.ETag}, salt...)...))))
}

// xmlText escapes s as XML character data: markup characters (so "]]>" and
// "</string>" stay text) and CR, LF and tab become references, and
// characters XML 1.0 cannot carry at all (NUL, other C0 controls, U+FFFE)
// become U+FFFD, since a profile with them is refused whole.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// stableUUID is a name-based (version 5 layout) UUID over parts.
func stableUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var id domain.ID
	copy(id[:], sum[:16])
	id[6] = 0x50 | (id[6] & 0x0f)
	id[8] = 0x80 | (id[8] & 0x3f)
	return strings.ToUpper(id.String())
}
