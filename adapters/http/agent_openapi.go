package httpapi

import (
	"github.com/extguard/extguard/domain/report"
	"github.com/extguard/extguard/protocol/agentv1"
)

// The agent protocol (package protocol/agentv1) in the same OpenAPI
// document as the admin API, so one document describes every /api/v1 route.
// Agents authenticate with a group API key of scope agent and, after
// enrollment, X-Agent-ID.

// agentIDHeader is the header every request of an enrolled agent carries.
var agentIDHeader = jsonObject{"name": "X-Agent-ID", "in": "header", "required": true, "schema": schemaOfFormat("string", "uuid"),
	"description": "the agent id enrollment answered"}

func agentOperation(id, summary string, params []jsonObject, body string, success map[int]string, problems ...int) jsonObject {
	op := jsonObject{"operationId": id, "summary": summary, "tags": []string{"agent"}, "x-extguard-permission": string(PermAgentKey)}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if body != "" {
		op["requestBody"] = jsonObject{"required": body != "AgentHeartbeatRequest", "content": jsonObject{"application/json": jsonObject{"schema": ref(body)}}}
	}
	responses := jsonObject{}
	for status, schema := range success {
		r := jsonObject{"description": summary}
		if schema != "" {
			r["content"] = jsonObject{"application/json": jsonObject{"schema": ref(schema)}}
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
	editor := oneOfValues(report.EditorNames()...)
	modes := jsonObject{"mode": oneOfValues("allowlist", "blocklist"), "enforcement": oneOfValues("audit", "enforce")}
	return []shape{
		{name: "AgentEnrollRequest", open: true, typ: typeOf[agentv1.EnrollRequest](), request: true, required: []string{"machine_id"}},
		{name: "AgentEnrollment", typ: typeOf[agentv1.Enrollment]()},
		{name: "AgentHeartbeatRequest", open: true, typ: typeOf[agentv1.HeartbeatRequest](), request: true},
		{name: "AgentHeartbeat", typ: typeOf[agentv1.HeartbeatAnswer]()},
		{name: "Policy", typ: typeOf[agentv1.Policy](), hints: modes},
		{name: "PolicyRequired", typ: typeOf[agentv1.RequiredExtension]()},
		{name: "PolicyAllowed", typ: typeOf[agentv1.AllowedExtension]()},
		{name: "PolicyBlocked", typ: typeOf[agentv1.BlockedPattern](), hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "AgentReport", open: true, typ: typeOf[agentv1.Report](), request: true, required: []string{"reported_at", "extensions"},
			hints: jsonObject{"extensions": jsonObject{"maxItems": 5000}}},
		{name: "AgentReportNativePolicy", open: true, typ: typeOf[agentv1.InstalledNativePolicy](), request: true, required: []string{"present"}},
		{name: "AgentReportItem", open: true, typ: typeOf[agentv1.ReportedExtension](), request: true, required: []string{"extension_id", "installed", "editor"},
			hints: jsonObject{"editor": editor}},
		{name: "AgentVerdict", typ: typeOf[agentv1.Verdict]()},
		{name: "AgentViolation", typ: typeOf[agentv1.Violation](), hints: jsonObject{"kind": oneOfValues(violationKinds...)}},
		{name: "AgentAction", typ: typeOf[agentv1.Action](), hints: jsonObject{"action": oneOfValues("uninstall", "install")}},
	}
}
