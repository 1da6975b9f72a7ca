package policyfile

import (
	"encoding/json"

	"go.yaml.in/yaml/v3"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// groupsOf reads groups by name, each name once. Settings take the keys of
// the REST API's settings object and are validated by the same parser. A
// group with a problem whose name is good is noted in f.Unparsed.
func groupsOf(fe *domain.FieldErrors, f *application.PolicyFile, n *yaml.Node) []application.PolicyGroup {
	out := []application.PolicyGroup{}
	seen := map[string]string{}
	for path, item := range items(fe, "groups", n) {
		var g application.PolicyGroup
		var settings []byte
		bad := fe.Len()
		for _, kv := range mapping(fe, path, item) {
			field := join(path, kv.key)
			switch kv.key {
			case "name":
				g.Name = scalar(fe, field, kv.value)
			case "description":
				g.Description = scalar(fe, field, kv.value)
			case "settings":
				settings = settingsJSON(fe, field, kv.value)
			default:
				fe.Add(field, "unknown key: a group has name, description and settings")
			}
		}
		s, err := group.ParseSettings(settings)
		fe.Include(join(path, "settings"), err)
		checked, err := group.NewGroup(group.GroupParams{Name: g.Name, Description: g.Description, Settings: s})
		fe.Include(path, err)
		if fe.Len() > bad {
			if named, err := group.NewGroup(group.GroupParams{Name: g.Name}); err == nil {
				f.Unparsed.Groups = append(f.Unparsed.Groups, named.Name())
			}
			continue
		}
		g.Name, g.Description, g.Settings = checked.Name(), checked.Description(), s
		if first, dup := seen[g.Name]; dup {
			fe.Add(join(path, "name"), "the same name as "+first)
			continue
		}
		seen[g.Name] = path
		f.SetPath(application.ResourceGroup, g.Name, path)
		out = append(out, g)
	}
	return out
}

// settingsJSON turns a settings mapping into the JSON object the REST API
// takes, so group.ParseSettings judges it (types included) as it judges a
// request body.
func settingsJSON(fe *domain.FieldErrors, field string, n *yaml.Node) []byte {
	if n.Kind != yaml.MappingNode {
		fe.Add(field, "must be a mapping")
		return nil
	}
	mapping(fe, field, n) // repeated keys
	var v map[string]any
	if err := n.Decode(&v); err != nil {
		fe.Add(field, "must be a mapping of setting names to values")
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		fe.Add(field, "must be a mapping of setting names to values")
		return nil
	}
	return raw
}

// catalogOf reads catalog entries as POST /extensions takes them, each
// extension id once. An entry with a problem whose id is good is noted in
// f.Unparsed.
func catalogOf(fe *domain.FieldErrors, f *application.PolicyFile, n *yaml.Node) []extension.Entry {
	out := []extension.Entry{}
	seen := map[extension.ExtensionID]string{}
	for path, item := range items(fe, "catalog", n) {
		var p extension.EntryParams
		bad := fe.Len()
		for _, kv := range mapping(fe, path, item) {
			field := join(path, kv.key)
			switch kv.key {
			case "extension_id":
				p.ExtensionID = scalar(fe, field, kv.value)
			case "name":
				p.Name = scalar(fe, field, kv.value)
			case "publisher":
				p.Publisher = scalar(fe, field, kv.value)
			case "pinned_version":
				p.PinnedVersion = scalar(fe, field, kv.value)
			case "sha256_checksum":
				p.SHA256 = scalar(fe, field, kv.value)
			case "marketplace_url":
				p.MarketplaceURL = scalar(fe, field, kv.value)
			case "is_blocked":
				p.IsBlocked = boolean(fe, field, kv.value)
			case "block_reason":
				p.BlockReason = scalar(fe, field, kv.value)
			default:
				fe.Add(field, "unknown key: a catalog entry has extension_id, name, publisher, pinned_version, sha256_checksum, marketplace_url, is_blocked and block_reason")
			}
		}
		e, err := extension.NewEntry(p)
		fe.Include(path, err)
		if fe.Len() > bad {
			if id, err := extension.ParseExtensionID(p.ExtensionID); err == nil {
				f.Unparsed.Extensions = append(f.Unparsed.Extensions, id)
			}
			continue
		}
		if first, dup := seen[e.ExtensionID()]; dup {
			fe.Add(join(path, "extension_id"), "the same extension_id as "+first)
			continue
		}
		seen[e.ExtensionID()] = path
		f.SetPath(application.ResourceCatalog, e.ExtensionID().String(), path)
		out = append(out, e)
	}
	return out
}

// assignmentsOf reads assignments by group name and extension id, each pair
// once; required defaults to false (allowed), as PUT takes it.
func assignmentsOf(fe *domain.FieldErrors, f *application.PolicyFile, n *yaml.Node) []application.PolicyAssignment {
	out := []application.PolicyAssignment{}
	seen := map[application.AssignmentKey]string{}
	for path, item := range items(fe, "assignments", n) {
		var a application.PolicyAssignment
		var rawID string
		bad := fe.Len()
		for _, kv := range mapping(fe, path, item) {
			field := join(path, kv.key)
			switch kv.key {
			case "group":
				a.Group = scalar(fe, field, kv.value)
			case "extension_id":
				rawID = scalar(fe, field, kv.value)
			case "required":
				a.Required = boolean(fe, field, kv.value)
			default:
				fe.Add(field, "unknown key: an assignment has group, extension_id and required")
			}
		}
		if a.Group == "" {
			fe.Add(join(path, "group"), "is required: the name of a group")
		}
		id, err := extension.ParseExtensionID(rawID)
		fe.Include(path, err)
		if fe.Len() > bad {
			continue
		}
		a.ExtensionID = id
		key := application.AssignmentKey{Group: a.Group, ExtensionID: id}
		if first, dup := seen[key]; dup {
			fe.Add(path, "the same group and extension_id as "+first)
			continue
		}
		seen[key] = path
		f.SetPath(application.ResourceAssignment, key.String(), path)
		out = append(out, a)
	}
	return out
}
