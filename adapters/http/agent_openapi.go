package httpapi

// The agent protocol (../shared/docs/agent-protocol.md) in the same OpenAPI
// document as the admin API, so one document describes every /api/v1 route.
// Agents authenticate with a group API key of scope agent and, after
// enrollment, X-Agent-ID.

const permAgentKey = "agent-key"

func agentOpenAPIPaths() obj {
	agentID := obj{"name": "X-Agent-ID", "in": "header", "required": true, "schema": sf("string", "uuid"),
		"description": "the agent id enrollment answered"}
	return obj{
		"/api/v1/agent/enroll": obj{"post": agentOperation("agent_enroll", "Enroll a machine (idempotent per group and machine_id)",
			nil, "AgentEnrollRequest", map[int]string{200: "AgentEnrollment", 201: "AgentEnrollment"}, 400, 401, 403, 413, 429)},
		"/api/v1/agent/heartbeat": obj{"post": agentOperation("agent_heartbeat", "Report liveness; answers the current policy ETag",
			[]obj{agentID}, "AgentHeartbeatRequest", map[int]string{200: "AgentHeartbeat"}, 400, 401, 403, 413, 429)},
		"/api/v1/agent/policy": obj{"get": agentOperation("agent_policy", "The group's compiled policy; 304 when If-None-Match matches",
			[]obj{agentID, {"name": "If-None-Match", "in": "header", "schema": s("string")}},
			"", map[int]string{200: "AgentPolicy", 304: ""}, 401, 403, 429)},
		"/api/v1/agent/reports": obj{"post": agentOperation("agent_reports", "Report the full inventory; answers the verdict",
			[]obj{agentID}, "AgentReport", map[int]string{200: "AgentVerdict"}, 400, 401, 403, 413, 429)},
	}
}

func agentOperation(id, summary string, params []obj, body string, success map[int]string, problems ...int) obj {
	op := obj{"operationId": id, "summary": summary, "tags": []string{"agent"}, "x-extguard-permission": permAgentKey}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if body != "" {
		op["requestBody"] = obj{"required": body != "AgentHeartbeatRequest", "content": obj{"application/json": obj{"schema": ref(body)}}}
	}
	responses := obj{}
	for status, schema := range success {
		r := obj{"description": summary}
		if schema != "" {
			r["content"] = obj{"application/json": obj{"schema": ref(schema)}}
		}
		responses[itoa(status)] = r
	}
	for _, st := range problems {
		responses[itoa(st)] = obj{"description": "problem", "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
	}
	op["responses"] = responses
	return op
}

func agentSchemas() obj {
	editor := enum("vscode", "vscode-insiders", "vscodium", "cursor", "windsurf", "code-server", "vscode-server", "unknown")
	return obj{
		"AgentEnrollRequest": object([]string{"machine_id"}, obj{"machine_id": s("string"), "user_hash": s("string"),
			"display_name": s("string"), "platform": s("string"), "agent_version": s("string")}),
		"AgentEnrollment": object([]string{"agent_id", "group_id", "heartbeat_interval_s", "policy_etag"}, obj{
			"agent_id": sf("string", "uuid"), "group_id": sf("string", "uuid"), "heartbeat_interval_s": s("integer"), "policy_etag": s("string")}),
		"AgentHeartbeatRequest": object(nil, obj{"agent_version": s("string")}),
		"AgentHeartbeat":        object([]string{"policy_etag", "heartbeat_interval_s"}, obj{"policy_etag": s("string"), "heartbeat_interval_s": s("integer")}),
		"AgentPolicy": obj{"type": "object", "required": []string{"etag", "group_id", "mode", "enforcement", "required", "allowed", "blocked", "generated_at"},
			"properties": obj{"etag": s("string"), "group_id": sf("string", "uuid"), "mode": enum("allowlist", "blocklist"),
				"enforcement": enum("audit", "enforce"),
				"required": arr(obj{"type": "object", "properties": obj{"extension_id": s("string"), "version": nullable("string", ""),
					"sha256": s("string"), "content_sha256": s("string"), "download_url": s("string")}}),
				"allowed": arr(obj{"type": "object", "properties": obj{"extension_id": s("string"), "version": nullable("string", "")}}),
				"blocked": arr(obj{"type": "object", "properties": obj{"pattern_type": enum("exact", "publisher", "glob", "regex"),
					"pattern": s("string"), "reason": s("string")}}),
				"generated_at": sf("string", "date-time")}},
		"AgentReport": object([]string{"reported_at", "extensions"}, obj{"reported_at": sf("string", "date-time"), "policy_etag": s("string"),
			"extensions": obj{"type": "array", "maxItems": 5000, "items": object([]string{"extension_id", "installed", "editor"}, obj{
				"extension_id": s("string"), "installed": s("boolean"), "version": s("string"), "sha256": s("string"), "editor": editor})}}),
		"AgentVerdict": obj{"type": "object", "required": []string{"compliant", "violations", "actions"}, "properties": obj{
			"compliant": s("boolean"),
			"violations": arr(obj{"type": "object", "properties": obj{"extension_id": s("string"),
				"kind": enum("blocked", "required_missing", "version_mismatch", "checksum_mismatch", "unapproved"), "detail": s("string")}}),
			"actions": arr(obj{"type": "object", "properties": obj{"action": enum("uninstall", "install"), "extension_id": s("string"),
				"version": s("string"), "download_url": s("string"), "sha256": s("string")}})}},
	}
}
