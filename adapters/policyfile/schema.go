package policyfile

// Schema is the JSON Schema (2020-12) of the policy file, served at
// /api/v1/policy/schema.json for editors' completion (e.g. the YAML
// language server's `# yaml-language-server: $schema=<url>`). It says what
// Parse accepts; Parse stays the authority (patterns are compiled there).
func Schema() map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://extguard.dev/schemas/policy-file-v1.json",
		"title":                "extguard policy file",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"version"},
		"properties": map[string]any{
			"version": map[string]any{"const": Version, "description": "the file format; this build reads 1"},
			"blocklist": map[string]any{
				"type":        "array",
				"description": "blocklist entries by their natural key (pattern_type, pattern); each key once",
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"required":             []string{"pattern_type", "pattern"},
					"properties": map[string]any{
						"pattern_type": map[string]any{"enum": []string{"exact", "publisher", "glob", "regex"}},
						"pattern":      str("an extension id, a publisher, a glob (* and ?) or an RE2 expression, as pattern_type says"),
						"reason":       map[string]any{"type": "string", "maxLength": 1000, "description": "shown to admins and agents"},
						"is_active":    map[string]any{"type": "boolean", "default": true},
					},
				},
			},
		},
	}
}
