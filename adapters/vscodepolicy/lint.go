package vscodepolicy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"unicode/utf16"

	"github.com/extguard/extguard/domain"
)

// Effect is what a construct of a deployed value does in the editor.
type Effect string

const (
	// EffectFailOpen: the editor allows what the author meant to refuse.
	EffectFailOpen Effect = "fail-open"
	// EffectOverBroad: the editor allows more versions or extensions than written.
	EffectOverBroad Effect = "over-broad"
	// EffectNeverMatches: a version the editor can never match, so it refuses
	// the extension at every version.
	EffectNeverMatches Effect = "never-matches"
	// EffectShadowed: a rule a later key replaces.
	EffectShadowed Effect = "shadowed"
)

// Finding is one construct of an AllowedExtensions value and why the editor
// reads it as it does (allowed.go has the reading, from VS Code's
// AllowedExtensionsService).
type Finding struct {
	Key    string `json:"key"` // the key concerned; "" for the value as a whole
	Effect Effect `json:"effect"`
	Reason string `json:"reason"`
}

// Linted is what the linter read and found.
type Linted struct {
	Format   string    `json:"format"` // json, reg, mobileconfig or value
	Value    string    `json:"value"`  // the AllowedExtensions value found
	Findings []Finding `json:"findings"`
}

// Lint reads a deployed policy: a policy.json ({"AllowedExtensions": "..."}),
// the value itself (a JSON object), a .reg file (UTF-16 or 8-bit) or a
// .mobileconfig (XML plist), and lists each construct VS Code reads as
// fail-open, over-broad or never matching. Errors: invalid (no
// AllowedExtensions value found).
func Lint(file []byte) (Linted, error) {
	l, err := findValue(file)
	if err != nil {
		return Linted{}, domain.Invalid("no AllowedExtensions value", domain.FieldError{Field: "content", Message: err.Error()})
	}
	l.Findings = LintValue(l.Value)
	return l, nil
}

// LintValue lists the findings of one AllowedExtensions value.
func LintValue(value string) []Finding {
	if !json.Valid([]byte(value)) {
		return []Finding{{Effect: EffectFailOpen, Reason: "not valid JSON: the editor applies no policy and allows every extension"}}
	}
	d := json.NewDecoder(strings.NewReader(value))
	tok, _ := d.Token()
	if tok != json.Delim('{') {
		return []Finding{{Effect: EffectFailOpen, Reason: "not a JSON object: the editor applies no policy and allows every extension"}}
	}
	type rule struct {
		key   string
		value any
	}
	var rules []rule
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return []Finding{{Effect: EffectFailOpen, Reason: "not valid JSON: the editor applies no policy and allows every extension"}}
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return []Finding{{Effect: EffectFailOpen, Reason: "not valid JSON: the editor applies no policy and allows every extension"}}
		}
		rules = append(rules, rule{k.(string), v})
	}
	if end, err := d.Token(); err != nil || end != json.Delim('}') {
		return []Finding{{Effect: EffectFailOpen, Reason: "not valid JSON: the editor applies no policy and allows every extension"}}
	}
	var out []Finding
	last := map[string]int{}
	for i, r := range rules {
		last[strings.ToLower(r.key)] = i
	}
	// Counted after JSON.parse kept the last of repeated keys, as the editor
	// counts: {"*": false, "*": true} is {"*": true} too.
	if i, ok := last["*"]; ok && len(last) == 1 && rules[i].value == true {
		return []Finding{{Key: "*", Effect: EffectOverBroad,
			Reason: `{"*": true} alone is no policy at all: the editor allows every extension (an allowlist needs "*": false)`}}
	}
	for i, r := range rules {
		lower := strings.ToLower(r.key)
		if last[lower] != i {
			out = append(out, Finding{Key: r.key, Effect: EffectShadowed,
				Reason: "the editor lower-cases keys and keeps the last one: " + quote(rules[last[lower]].key) + " replaces this rule"})
			continue
		}
		out = append(out, lintRule(r.key, lower, r.value)...)
	}
	return out
}

func lintRule(key, lower string, v any) []Finding {
	isID := strings.Contains(lower, ".")
	switch v := v.(type) {
	case bool:
		return nil
	case string:
		if v == "stable" {
			return nil
		}
		if lower == "*" {
			return nil // "*" other than true refuses what no rule names
		}
		return []Finding{{Key: key, Effect: EffectFailOpen, Reason: "a string other than \"stable\" allows every version: the editor only understands true, false, \"stable\" and (on ids) a version list"}}
	case []any:
		if lower == "*" {
			return nil
		}
		if !isID {
			return []Finding{{Key: key, Effect: EffectOverBroad, Reason: "versions on a publisher are ignored: the editor allows every version of every extension of this publisher"}}
		}
		var out []Finding
		for _, item := range v {
			s, ok := item.(string)
			if !ok || !vscodeVersion.MatchString(s) {
				out = append(out, Finding{Key: key, Effect: EffectNeverMatches,
					Reason: "version " + quoteAny(item) + " does not match ^\\d+\\.\\d+\\.\\d+(-.*)?(@platform)?$: the editor never matches it (build metadata after + included)"})
			}
		}
		return out
	}
	if lower == "*" {
		return nil
	}
	return []Finding{{Key: key, Effect: EffectFailOpen, Reason: "a value that is not true, false, \"stable\" or a version list allows the extension"}}
}

func quoteAny(v any) string {
	b, _ := json.Marshal(v)
	return ascii(string(b))
}

// findValue locates the AllowedExtensions value in a file of any of the
// four forms.
func findValue(file []byte) (Linted, error) {
	text := decodeText(file)
	trimmed := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(trimmed, "{"):
		var doc map[string]json.RawMessage
		if json.Unmarshal([]byte(trimmed), &doc) == nil {
			if raw, ok := doc["AllowedExtensions"]; ok {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					return Linted{Format: "json", Value: string(raw)}, nil // an object instead of a string
				}
				return Linted{Format: "json", Value: s}, nil
			}
		}
		return Linted{Format: "value", Value: trimmed}, nil
	case strings.HasPrefix(trimmed, "Windows Registry Editor") || strings.HasPrefix(trimmed, "REGEDIT4"):
		v, err := regValue(text)
		return Linted{Format: "reg", Value: v}, err
	case strings.HasPrefix(trimmed, "<?xml") || strings.HasPrefix(trimmed, "<plist") || strings.HasPrefix(trimmed, "<!DOCTYPE"):
		v, err := plistValue(trimmed)
		return Linted{Format: "mobileconfig", Value: v}, err
	}
	return Linted{}, errors.New("not a policy.json, an AllowedExtensions object, a .reg file or an XML .mobileconfig")
}

// decodeText reads UTF-16 (regedit's own exports, with a byte order mark)
// or 8-bit text.
func decodeText(b []byte) string {
	le, be := bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff})
	if !le && !be {
		return strings.TrimPrefix(string(b), "\ufeff")
	}
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		if le {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	return string(utf16.Decode(u))
}

// regValue finds "AllowedExtensions"="..." and unescapes \\ and \".
func regValue(text string) (string, error) {
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), `"AllowedExtensions"=`)
		if !ok {
			continue
		}
		if !strings.HasPrefix(rest, `"`) {
			return "", errors.New(`AllowedExtensions is not a string value (REG_SZ) in the .reg file`)
		}
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			switch c := rest[i]; {
			case c == '\\' && i+1 < len(rest):
				i++
				b.WriteByte(rest[i])
			case c == '"':
				return b.String(), nil
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("the AllowedExtensions string is not closed")
	}
	return "", errors.New(`no "AllowedExtensions"= value in the .reg file`)
}

// plistValue finds the string after <key>AllowedExtensions</key>.
func plistValue(text string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(text))
	d.Strict = true
	var inKey, wantValue, inValue bool
	var key, value strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", errors.New("no AllowedExtensions string in the profile")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "key":
				inKey, wantValue = true, false
				key.Reset()
			case wantValue && t.Name.Local == "string":
				inValue = true
			case wantValue:
				return "", errors.New("AllowedExtensions in the profile is a <" + t.Name.Local + ">, not a <string>")
			}
		case xml.EndElement:
			switch {
			case inKey:
				inKey, wantValue = false, key.String() == "AllowedExtensions"
			case inValue:
				return value.String(), nil
			}
		case xml.CharData:
			if inKey {
				key.Write(t)
			} else if inValue {
				value.Write(t)
			}
		}
	}
}
