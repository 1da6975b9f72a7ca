// Package vscodepolicytest reads the native policy renderings back the way
// their consumers do, strictly, for tests: what a parser here refuses, or
// reads as more than extguard wrote, an importing machine might apply.
package vscodepolicytest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// RegFile is a parsed .reg file: values by section, and the comment lines.
type RegFile struct {
	Sections map[string]map[string]string
	Comments []string
}

const RegHeader = "Windows Registry Editor Version 5.00"

// ParseReg reads a .reg file as regedit does, refusing anything extguard
// never writes: lines end in CRLF and hold no other line break, the file is
// printable ASCII (regedit reads a file without BOM in the machine's ANSI
// code page, where a UTF-8 byte may swallow the next quote or backslash),
// values are `"name"="string"` with only the \\ and \" escapes, and there
// are no key deletions (`[-...]`), default values (`@=`) or typed values.
func ParseReg(body []byte) (RegFile, error) {
	f := RegFile{Sections: map[string]map[string]string{}}
	for i, c := range body {
		if (c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' {
			return f, fmt.Errorf("byte %d is %#x, not printable ASCII", i, c)
		}
	}
	text := string(body)
	if !strings.HasSuffix(text, "\r\n") {
		return f, fmt.Errorf("the file does not end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if lines[0] != RegHeader {
		return f, fmt.Errorf("first line %q is not the header", lines[0])
	}
	var section map[string]string
	for n, line := range lines[1:] {
		if strings.ContainsAny(line, "\r\n") {
			return f, fmt.Errorf("line %d holds a bare CR or LF: %q", n+2, line)
		}
		switch {
		case line == "":
		case line[0] == ';':
			f.Comments = append(f.Comments, line)
		case line[0] == '[':
			name, err := regSection(line)
			if err != nil {
				return f, fmt.Errorf("line %d: %w", n+2, err)
			}
			if _, dup := f.Sections[name]; dup {
				return f, fmt.Errorf("line %d: section %s twice", n+2, name)
			}
			section = map[string]string{}
			f.Sections[name] = section
		default:
			if section == nil {
				return f, fmt.Errorf("line %d: a value outside any section: %q", n+2, line)
			}
			name, value, err := regValue(line)
			if err != nil {
				return f, fmt.Errorf("line %d: %w", n+2, err)
			}
			if _, dup := section[name]; dup {
				return f, fmt.Errorf("line %d: value %s twice", n+2, name)
			}
			section[name] = value
		}
	}
	return f, nil
}

func regSection(line string) (string, error) {
	name, ok := strings.CutSuffix(line[1:], "]")
	if !ok || name == "" || strings.ContainsAny(name, "[]") || name[0] == '-' {
		return "", fmt.Errorf("not a plain section header: %q", line)
	}
	return name, nil
}

// regValue reads `"name"="value"`.
func regValue(line string) (name, value string, err error) {
	name, rest, err := regString(line)
	if err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(rest, "=") {
		return "", "", fmt.Errorf("no = after the value name: %q", line)
	}
	value, rest, err = regString(rest[1:])
	if err != nil {
		return "", "", err
	}
	if rest != "" {
		return "", "", fmt.Errorf("%q after the value", rest)
	}
	return name, value, nil
}

// regString reads one quoted string at the start of s and returns the rest.
func regString(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("not a quoted string: %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) || (s[i+1] != '\\' && s[i+1] != '"') {
				return "", "", fmt.Errorf("escape other than \\\\ or \\\" in %q", s)
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated string %q", s)
}

// PlistValue is a decoded plist node: string, int64, []PlistValue or
// map[string]PlistValue.
type PlistValue any

// ParsePlist decodes an XML property list with encoding/xml's strict
// decoder, as plistlib would, refusing elements a configuration profile
// from extguard does not contain.
func ParsePlist(body []byte) (PlistValue, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	root, err := startOf(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "plist" {
		return nil, fmt.Errorf("root element %s", root.Name.Local)
	}
	top, err := startOf(d)
	if err != nil {
		return nil, err
	}
	v, err := plistNode(d, top)
	if err != nil {
		return nil, err
	}
	if _, closed, err := nextElement(d); err != nil || !closed {
		return nil, fmt.Errorf("more than one value in <plist>: %v", err)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return v, nil
		}
		if err != nil {
			return nil, err
		}
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
			return nil, fmt.Errorf("content after </plist>: %v", tok)
		}
	}
}

// startOf is the next element, which must open.
func startOf(d *xml.Decoder) (xml.StartElement, error) {
	el, closed, err := nextElement(d)
	if err == nil && closed {
		err = fmt.Errorf("an element closes where one should open")
	}
	return el, err
}

// nextElement skips the prolog, the doctype and whitespace to the next
// element, and says whether it is the end of the enclosing one (the strict
// decoder checks that end tags match).
func nextElement(d *xml.Decoder) (el xml.StartElement, closed bool, err error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return el, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, false, nil
		case xml.EndElement:
			return el, true, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return el, false, fmt.Errorf("stray text %q", t)
			}
		case xml.Comment:
			return el, false, fmt.Errorf("a comment: %q", t)
		}
	}
}

func plistNode(d *xml.Decoder, start xml.StartElement) (PlistValue, error) {
	switch start.Name.Local {
	case "string":
		var s string
		err := d.DecodeElement(&s, &start)
		return s, err
	case "integer":
		var n int64
		err := d.DecodeElement(&n, &start)
		return n, err
	case "array":
		var out []PlistValue
		for {
			el, closed, err := nextElement(d)
			if err != nil || closed {
				return out, err
			}
			v, err := plistNode(d, el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	case "dict":
		return plistDict(d)
	}
	return nil, fmt.Errorf("unexpected element <%s>", start.Name.Local)
}

func plistDict(d *xml.Decoder) (PlistValue, error) {
	out := map[string]PlistValue{}
	for {
		el, closed, err := nextElement(d)
		if err != nil || closed {
			return out, err
		}
		if el.Name.Local != "key" {
			return nil, fmt.Errorf("<%s> where a dict needs <key>", el.Name.Local)
		}
		var key string
		if err := d.DecodeElement(&key, &el); err != nil {
			return nil, err
		}
		el, err = startOf(d)
		if err != nil {
			return nil, err
		}
		v, err := plistNode(d, el)
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("key %q twice", key)
		}
		out[key] = v
	}
}

// DecodeRules reads an AllowedExtensions value into its rules.
func DecodeRules(value string) (map[string]any, error) {
	d := json.NewDecoder(strings.NewReader(value))
	var rules map[string]any
	if err := d.Decode(&rules); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("text after the JSON object")
	}
	return rules, nil
}
