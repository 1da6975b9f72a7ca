package vscodepolicytest

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// A model of VS Code's AllowedExtensionsService, written in Go from reading
// src/vs/platform/extensionManagement/common/allowedExtensionsService.ts
// (microsoft/vscode): how the editor decides, from the AllowedExtensions
// value, whether an extension may be installed or run. The tests compare
// its answers with extguard's verdicts.

// Candidate is an extension as the editor sees it.
type Candidate struct {
	ID                   string // publisher.name, any case
	Version              string // "" stands for the editor's "*" (no version known)
	Prerelease           bool
	PublisherDisplayName string
	TargetPlatform       string // "" is universal
}

// Editor is a parsed AllowedExtensions value.
type Editor struct {
	off   bool // no policy in effect: everything is allowed
	rules map[string]any
	orgs  []string // the product's extensionPublisherOrgs, lower-cased
}

// VSCodePublisherOrgs is extensionPublisherOrgs of VS Code's own product.json.
var VSCodePublisherOrgs = []string{"microsoft"}

// ParseEditor reads value as the editor does: JSON.parse, then a value that
// is not an object (or is an array) turns the policy off, keys are
// lower-cased with later ones replacing earlier ones, and {"*": true} alone
// turns it off too.
func ParseEditor(value string, publisherOrgs []string) Editor {
	ed := Editor{rules: map[string]any{}}
	for _, o := range publisherOrgs {
		ed.orgs = append(ed.orgs, strings.ToLower(o))
	}
	entries, ok := orderedObject([]byte(value))
	if !ok {
		ed.off = true
		return ed
	}
	for _, e := range entries {
		ed.rules[strings.ToLower(e.key)] = e.value
	}
	// JSON.parse has already kept the last of repeated keys when the editor
	// counts them: {"*": false, "*": true} is {"*": true} alone.
	if len(ed.rules) == 1 && ed.rules["*"] == true {
		ed.off = true
	}
	return ed
}

type entry struct {
	key   string
	value any
}

// ObjectKeys lists the value's top-level keys in order, repeats included; ok is
// false when the value is not a JSON object (the editor then allows all).
func ObjectKeys(value string) (keys []string, ok bool) {
	entries, ok := orderedObject([]byte(value))
	for _, e := range entries {
		keys = append(keys, e.key)
	}
	return keys, ok
}

// orderedObject decodes a top-level JSON object keeping its keys in order
// and repeated keys (JSON.parse keeps the last). Not an object: ok false.
func orderedObject(b []byte) ([]entry, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []entry
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, false
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, entry{k.(string), v})
	}
	if _, err := d.Token(); err != nil {
		return nil, false
	}
	return out, true
}

var versionPattern = regexp.MustCompile(`^(\d+\.\d+\.\d+(?:-.*)?)(?:@(.+))?$`)

// IsAllowed is isAllowed: the id's rule, then the publisher's (or the
// publisher org's), then "*": true; everything else is refused.
func (ed Editor) IsAllowed(c Candidate) bool {
	if ed.off {
		return true
	}
	id := strings.ToLower(c.ID)
	publisher, _, _ := strings.Cut(id, ".")
	if v, ok := ed.rules[id]; ok {
		if decided, allowed := flagRule(v, c); decided {
			return allowed
		}
		if v, isList := v.([]any); isList {
			if c.Version == "" {
				return true
			}
			for _, item := range v {
				s, _ := item.(string)
				m := versionPattern.FindStringSubmatch(s)
				if m == nil || m[1] != c.Version {
					continue
				}
				if c.TargetPlatform != "" && m[2] != "" && c.TargetPlatform != m[2] {
					continue
				}
				return true
			}
			return false
		}
		return true // null, numbers, objects: allowed
	}
	key := publisher
	if dn := strings.ToLower(c.PublisherDisplayName); dn != "" && contains(ed.orgs, dn) {
		key = dn
	}
	if v, ok := ed.rules[key]; ok {
		if decided, allowed := flagRule(v, c); decided {
			return allowed
		}
		return true // arrays and anything else: every version
	}
	return ed.rules["*"] == true
}

// flagRule reads the values an id and a publisher rule share: a boolean
// decides, "stable" refuses pre-releases and allows the rest.
func flagRule(v any, c Candidate) (decided, allowed bool) {
	switch v := v.(type) {
	case bool:
		return true, v
	case string:
		if v == "stable" && c.Prerelease {
			return true, false
		}
	}
	return false, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
