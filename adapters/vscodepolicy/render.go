// Package vscodepolicy renders a group's compiled policy as the editors'
// native AllowedExtensions policy, for admins who also enforce through
// MDM: /etc/vscode/policy.json on Linux, a configuration profile on macOS
// and a .reg file on Windows.
//
// The value of AllowedExtensions is a JSON object, passed as a string: keys
// are extension ids (publisher.name) or publisher names, values are true,
// false, or an array of the allowed versions ("1.2.3"). In allowlist mode
// "*": false refuses everything not listed; in blocklist mode "*": true
// allows everything not refused. What the native form cannot express
// (glob and regex blocks, checksums, required installs, audit-only mode) is
// listed in Rendered.Unexpressible and in the README.
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
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
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
	Value         string   // the AllowedExtensions value (a JSON object as text)
	Unexpressible []string // rules of the policy the native form leaves out
}

// AllowedExtensions builds the policy value and lists what it cannot say.
// Keys are sorted (encoding/json sorts map keys), so the same policy always
// renders byte for byte the same.
func AllowedExtensions(p policy.Policy) (string, []string) {
	rules := map[string]any{}
	var lost []string
	if p.Mode == group.ModeAllowlist {
		rules["*"] = false
		for _, r := range p.Required {
			rules[r.ExtensionID.String()] = versions(r.Version)
			if r.SHA256 != "" || r.ContentSHA256 != "" {
				lost = append(lost, "checksum of "+quote(r.ExtensionID.String())+" (the editor checks versions, not digests)")
			}
		}
		for _, a := range p.Allowed {
			rules[a.ExtensionID.String()] = versions(a.Version)
			if a.ContentSHA256 != "" {
				lost = append(lost, "checksum of "+quote(a.ExtensionID.String())+" (the editor checks versions, not digests)")
			}
		}
		if len(p.Required) > 0 {
			lost = append(lost, "required extensions are allowed but not installed by the editor; extguard agents install them")
		}
	} else {
		rules["*"] = true
	}
	for _, b := range p.Blocked {
		switch b.PatternType {
		case blocklist.PatternExact, blocklist.PatternPublisher:
			rules[b.Pattern] = false
		default:
			lost = append(lost, ascii(string(b.PatternType))+" block "+quote(b.Pattern)+" (the editor matches exact ids and publishers only)")
		}
	}
	if p.Enforcement == group.EnforcementAudit {
		lost = append(lost, "audit mode: the editor always enforces this policy, while extguard agents only report")
	}
	value, _ := json.Marshal(rules)
	sort.Strings(lost)
	return ascii(string(value)), lost
}

// quote names a stored value in an unexpressible rule: in double quotes,
// escaped Go-style to printable ASCII, so that it reads back exactly and
// cannot end the comment line or header it is written into.
func quote(s string) string { return strconv.QuoteToASCII(s) }

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

// versions is true for an unpinned extension, or the one pinned version.
func versions(v string) any {
	if v == "" {
		return true
	}
	return []string{v}
}

// PolicyFile is the JSON form: the editors' policy.json.
type PolicyFile struct {
	AllowedExtensions string `json:"AllowedExtensions"`
}

// Render encodes the policy of the group named groupName in format f.
func Render(p policy.Policy, groupName string, f Format) Rendered {
	value, lost := AllowedExtensions(p)
	r := Rendered{Value: value, Unexpressible: lost}
	switch f {
	case FormatMobileconfig:
		r.Body, r.ContentType, r.Filename = mobileconfig(p, groupName, value), "application/x-apple-aspen-config", "extguard-policy.mobileconfig"
	case FormatReg:
		r.Body, r.ContentType, r.Filename = reg(value, lost), "text/plain; charset=utf-8", "extguard-policy.reg"
	default:
		body, _ := json.MarshalIndent(PolicyFile{AllowedExtensions: value}, "", "  ")
		r.Body, r.ContentType, r.Filename = append(body, '\n'), "application/json", "policy.json"
	}
	return r
}

// reg is a Windows registry file setting the machine policy. regedit reads
// it line by line (CRLF), a file without BOM in the machine's ANSI code
// page, and values as quoted strings in which only backslash and double
// quote are escaped. So every line is printable ASCII: comments and the
// value go through ascii, and the value is then quoted.
func reg(value string, lost []string) []byte {
	var b bytes.Buffer
	b.WriteString("Windows Registry Editor Version 5.00\r\n\r\n")
	b.WriteString("; Generated by extguard. Not expressible natively:\r\n")
	for _, l := range lost {
		b.WriteString(";   " + ascii(l) + "\r\n")
	}
	b.WriteString("\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\VSCode]\r\n")
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
func mobileconfig(p policy.Policy, groupName, value string) []byte {
	gid := p.GroupID.String()
	profileID := "com.extguard.policy." + gid
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
			<string>VS Code allowed extensions</string>
			<key>PayloadIdentifier</key>
			<string>%s.vscode</string>
			<key>PayloadType</key>
			<string>com.microsoft.VSCode</string>
			<key>PayloadUUID</key>
			<string>%s</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>PayloadDescription</key>
	<string>Extensions allowed in VS Code for extguard group %s (policy %s)</string>
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
`, esc(value), esc(profileID), esc(stableUUID(gid, "payload", p.ETag)), esc(groupName), esc(p.ETag), esc(groupName),
		esc(profileID), esc(stableUUID(gid, "profile", p.ETag))))
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
