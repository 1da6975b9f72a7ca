package httpapi

import "github.com/extguard/extguard/protocol/agentv1"

// The agent protocol (package protocol/agentv1) in the same OpenAPI
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
			"", map[int]string{200: "Policy", 304: ""}, 400, 401, 403, 429)},
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
	addProblems(responses, problems...)
	op["responses"] = responses
	return op
}

// agentShapes are the agent protocol's schemas, derived from the wire types
// of protocol/agentv1.
// The compiled policy is one shape for the agent and the admin API.
func agentShapes() []shape {
	editor := oneOfValues("vscode", "vscode-insiders", "vscodium", "cursor", "windsurf", "code-server", "vscode-server", "unknown")
	modes := obj{"mode": oneOfValues("allowlist", "blocklist"), "enforcement": oneOfValues("audit", "enforce")}
	return []shape{
		{name: "AgentEnrollRequest", open: true, typ: typeOf[agentv1.EnrollRequest](), request: true, required: []string{"machine_id"}},
		{name: "AgentEnrollment", typ: typeOf[agentv1.Enrollment]()},
		{name: "AgentHeartbeatRequest", open: true, typ: typeOf[agentv1.HeartbeatRequest](), request: true},
		{name: "AgentHeartbeat", typ: typeOf[agentv1.HeartbeatAnswer]()},
		{name: "Policy", typ: typeOf[agentv1.Policy](), hints: modes},
		{name: "PolicyRequired", typ: typeOf[agentv1.RequiredExtension]()},
		{name: "PolicyAllowed", typ: typeOf[agentv1.AllowedExtension]()},
		{name: "PolicyBlocked", typ: typeOf[agentv1.BlockedPattern](), hints: obj{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "AgentReport", open: true, typ: typeOf[agentv1.Report](), request: true, required: []string{"reported_at", "extensions"},
			hints: obj{"extensions": obj{"maxItems": 5000}}},
		{name: "AgentReportItem", open: true, typ: typeOf[agentv1.ReportedExtension](), request: true, required: []string{"extension_id", "installed", "editor"},
			hints: obj{"editor": editor}},
		{name: "AgentVerdict", typ: typeOf[agentv1.Verdict]()},
		{name: "AgentViolation", typ: typeOf[agentv1.Violation](), hints: obj{"kind": oneOfValues(violationKinds...)}},
		{name: "AgentAction", typ: typeOf[agentv1.Action](), hints: obj{"action": oneOfValues("uninstall", "install")}},
	}
}
