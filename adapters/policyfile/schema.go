package policyfile

// Schema is the JSON Schema (2020-12) of the policy file, served at
// /api/v1/policy/schema.json for editors' completion (e.g. the YAML
// language server's `# yaml-language-server: $schema=<url>`). It says what
// Parse accepts; Parse stays the authority (the REST validators run there).
func Schema() map[string]any {
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://extguard.dev/schemas/policy-file-v1.json",
		"title":                "extguard policy file",
		"description":          "Each section is optional; a section left out is left alone by an apply, also with prune.",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"version"},
		"properties": map[string]any{
			"version":     map[string]any{"const": Version, "description": "the file format; this build reads 1"},
			"groups":      list("groups by name; each name once", groupSchema()),
			"catalog":     list("catalog entries by extension_id; each id once", catalogSchema()),
			"assignments": list("catalog entries assigned to groups, by group name and extension_id; each pair once", assignmentSchema()),
			"blocklist":   list("blocklist entries by their natural key (pattern_type, pattern); each key once", blockSchema()),
		},
	}
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

func list(desc string, item map[string]any) map[string]any {
	return map[string]any{"type": "array", "description": desc, "items": item}
}

// object leaves "required" out when nothing is: JSON Schema wants an
// array there, and a null makes the whole schema invalid to validators.
func object(required []string, props map[string]any) map[string]any {
	out := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func seconds(min int, desc string) map[string]any {
	return map[string]any{"type": "integer", "minimum": min, "maximum": 31536000, "description": desc}
}

func groupSchema() map[string]any {
	return object([]string{"name"}, map[string]any{
		"name":        map[string]any{"type": "string", "minLength": 1, "maxLength": 128},
		"description": map[string]any{"type": "string", "maxLength": 2000},
		"settings": object(nil, map[string]any{
			"mode":                 map[string]any{"enum": []string{"allowlist", "blocklist"}, "default": "allowlist"},
			"enforcement":          map[string]any{"enum": []string{"audit", "enforce"}, "default": "audit"},
			"heartbeat_interval_s": map[string]any{"type": "integer", "minimum": 10, "maximum": 86400, "default": 60},
			"stale_after_s":        seconds(1, "greater than heartbeat_interval_s; default three heartbeats"),
			"offline_after_s":      seconds(1, "greater than stale_after_s; default 86400"),
		}),
	})
}

func catalogSchema() map[string]any {
	return object([]string{"extension_id"}, map[string]any{
		"extension_id":    str("publisher.name"),
		"name":            map[string]any{"type": "string", "maxLength": 255, "description": "default: the id's name"},
		"publisher":       str("must match the id's publisher; default: it"),
		"pinned_version":  str("1.2.3 or 1.2.3-pre (no +build): the only version agents may run"),
		"sha256_checksum": map[string]any{"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "SHA-256 of the VSIX at pinned_version"},
		"marketplace_url": map[string]any{"type": "string", "format": "uri", "maxLength": 2048, "description": "http(s), not in a private network"},
		"is_blocked":      map[string]any{"type": "boolean", "default": false, "description": "blocked in every group"},
		"block_reason":    map[string]any{"type": "string", "maxLength": 1000},
	})
}

func assignmentSchema() map[string]any {
	return object([]string{"group", "extension_id"}, map[string]any{
		"group":        str("a group's name, in this file or on the server"),
		"extension_id": str("a catalog entry's extension_id, in this file or on the server; its pinned_version binds the assignment"),
		"required":     map[string]any{"type": "boolean", "default": false, "description": "true: agents must install it; false: allowed"},
	})
}

func blockSchema() map[string]any {
	return object([]string{"pattern_type", "pattern"}, map[string]any{
		"pattern_type": map[string]any{"enum": []string{"exact", "publisher", "glob", "regex"}},
		"pattern":      str("an extension id, a publisher, a glob (* and ?) or an RE2 expression, as pattern_type says"),
		"reason":       map[string]any{"type": "string", "maxLength": 1000, "description": "shown to admins and agents"},
		"is_active":    map[string]any{"type": "boolean", "default": true},
	})
}
