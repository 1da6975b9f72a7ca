// Package policyfile reads the policy file: one declarative document, YAML
// or JSON (JSON is YAML), that holds policy by natural keys, never database
// ids or secrets. Version 1 holds groups with their settings, the catalog,
// assignments and the blocklist, each section optional (a section left out
// is left alone by an apply). Every error of a bad file is reported at once
// with its path in the file (groups[2].settings.mode), from the validators
// the REST API uses; Read also keeps the entries that parsed, so the
// server's own checks (references, download URLs) add theirs to the same
// answer.
package policyfile

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// MaxSize bounds a policy file.
const MaxSize = 1 << 20

// Version is the file format this build reads.
const Version = 1

// Parse reads and validates a policy file. Errors: invalid, with one field
// error per problem, named by its path in the file.
func Parse(data []byte) (application.PolicyFile, error) {
	f := Read(data)
	if len(f.Problems) > 0 {
		return application.PolicyFile{}, domain.Invalid("invalid policy file", f.Problems...)
	}
	return f, nil
}

// Read reads a policy file as far as it can: the entries that parse, and
// every problem in Problems, each by its path in the file, so that the plan
// and apply use cases judge the parsed entries against the server too and
// answer all the file's problems at once. A file with problems is never
// applied.
func Read(data []byte) application.PolicyFile {
	var fe domain.FieldErrors
	f := read(&fe, data)
	var problems *domain.Error
	if errors.As(fe.Err("invalid policy file"), &problems) {
		f.Problems = problems.Fields
	}
	return f
}

func read(fe *domain.FieldErrors, data []byte) application.PolicyFile {
	var f application.PolicyFile
	if len(data) > MaxSize {
		fe.Add("", "a policy file is at most 1 MiB")
		return f
	}
	// One document only: yaml.Unmarshal would read the first of several
	// ("---") and drop the rest without a word, and with prune an apply
	// would then delete what the later documents hold.
	var doc, more yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		fe.Add("", "not YAML or JSON: "+err.Error())
		return f
	}
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		fe.Add("", "one YAML document only (no second ---)")
		return f
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	fields := mapping(fe, "", root)
	seenVersion := false
	for _, kv := range fields {
		switch kv.key {
		case "version":
			seenVersion = true
			if kv.value.Kind != yaml.ScalarNode || kv.value.Value != strconv.Itoa(Version) {
				fe.Add("version", "must be 1")
			}
		case "groups":
			f.Sections.Groups, f.Groups = true, groupsOf(fe, &f, kv.value)
		case "catalog":
			f.Sections.Catalog, f.Catalog = true, catalogOf(fe, &f, kv.value)
		case "assignments":
			f.Sections.Assignments, f.Assignments = true, assignmentsOf(fe, &f, kv.value)
		case "blocklist":
			f.Sections.Blocklist, f.Blocklist = true, blocklistOf(fe, kv.value)
		default:
			fe.Add(kv.key, "unknown key: a policy file has version, groups, catalog, assignments and blocklist")
		}
	}
	if !seenVersion && root.Kind == yaml.MappingNode {
		fe.Add("version", "is required (version: 1)")
	}
	return f
}

type keyValue struct {
	key   string
	value *yaml.Node
}

// mapping lists the keys of a mapping node, refusing repeated keys.
func mapping(fe *domain.FieldErrors, path string, n *yaml.Node) []keyValue {
	if n.Kind != yaml.MappingNode {
		fe.Add(path, "must be a mapping")
		return nil
	}
	var out []keyValue
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		if seen[key] {
			fe.Add(join(path, key), "appears twice")
			continue
		}
		seen[key] = true
		out = append(out, keyValue{key, n.Content[i+1]})
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// blocklistOf reads blocklist entries; the natural key is (pattern_type,
// pattern), which may appear once.
func blocklistOf(fe *domain.FieldErrors, n *yaml.Node) []blocklist.Entry {
	out := []blocklist.Entry{}
	seen := map[application.BlockKey]string{}
	for path, item := range items(fe, "blocklist", n) {
		var p blocklist.EntryParams
		for _, kv := range mapping(fe, path, item) {
			field := join(path, kv.key)
			switch kv.key {
			case "pattern_type":
				p.PatternType = scalar(fe, field, kv.value)
			case "pattern":
				p.Pattern = scalar(fe, field, kv.value)
			case "reason":
				p.Reason = scalar(fe, field, kv.value)
			case "is_active":
				b := boolean(fe, field, kv.value)
				p.IsActive = &b
			default:
				fe.Add(field, "unknown key: an entry has pattern_type, pattern, reason and is_active")
			}
		}
		e, err := blocklist.NewEntry(p)
		if err != nil {
			fe.Include(path, err)
			continue
		}
		key := application.BlockKeyOf(e)
		if first, dup := seen[key]; dup {
			fe.Add(path, "the same pattern_type and pattern as "+first)
			continue
		}
		seen[key] = path
		out = append(out, e)
	}
	return out
}

func scalar(fe *domain.FieldErrors, field string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		fe.Add(field, "must be a string")
		return ""
	}
	return n.Value
}

func boolean(fe *domain.FieldErrors, field string, n *yaml.Node) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		fe.Add(field, "must be true or false")
	}
	return b
}

// items iterates a section's list with each item's path (section[i]).
func items(fe *domain.FieldErrors, section string, n *yaml.Node) iter.Seq2[string, *yaml.Node] {
	return func(yield func(string, *yaml.Node) bool) {
		if n.Kind != yaml.SequenceNode {
			fe.Add(section, "must be a list")
			return
		}
		for i, item := range n.Content {
			if !yield(section+"["+strconv.Itoa(i)+"]", item) {
				return
			}
		}
	}
}
