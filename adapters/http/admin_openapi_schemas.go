package httpapi

import (
	"reflect"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
)

// The admin API's schemas, derived from the response types in the resources' files and the
// handlers' request types (openapi_schema.go says how).

func schemaOfType(t string) jsonObject           { return jsonObject{"type": t} }
func schemaOfFormat(t, format string) jsonObject { return jsonObject{"type": t, "format": format} }
func arrayOf(items jsonObject) jsonObject        { return jsonObject{"type": "array", "items": items} }
func enum(values ...string) jsonObject {
	return jsonObject{"type": "string", "enum": values}
}

// oneOfValues hints the values a string property takes (null stays allowed
// where the type is a pointer).
func oneOfValues(values ...string) jsonObject { return jsonObject{"enum": values} }

// object is a closed object schema; required lists the always-present keys.
func object(required []string, props jsonObject) jsonObject {
	o := jsonObject{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// acceptedDoc answers a request that queued work.
type acceptedDoc struct {
	Status string `json:"status"`
}

var accepted = acceptedDoc{Status: "queued"}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func eventTypeNames() []string {
	out := make([]string, len(audit.EventTypes))
	for i, t := range audit.EventTypes {
		out[i] = string(t)
	}
	return out
}

var (
	roleNames        = []string{"admin", "editor", "auditor", "viewer"}
	patternTypeNames = []string{"exact", "publisher", "glob", "regex"}
	scopeNames       = []string{"agent", "admin", "read"}
	violationKinds   = []string{"blocked", "version_mismatch", "checksum_mismatch", "unapproved", "required_missing", "advisory"}
)

// groupSettings is written by hand: group.Settings has its own MarshalJSON
// (every key, defaults filled in) and a request may send any subset.
var groupSettings = object(nil, jsonObject{"mode": enum("allowlist", "blocklist"), "enforcement": enum("audit", "enforce"),
	"heartbeat_interval_s": schemaOfType("integer"), "stale_after_s": schemaOfType("integer"), "offline_after_s": schemaOfType("integer")})

func adminShapes() []shape {
	settings := jsonObject{"settings": ref("GroupSettings")}
	password := jsonObject{"minLength": 12, "maxLength": 256}
	email, uri := jsonObject{"format": "email"}, jsonObject{"format": "uri"}
	scopes := jsonObject{"scopes": jsonObject{"items": enum(scopeNames...)}}
	eventTypes := jsonObject{"items": enum(eventTypeNames()...)}
	return []shape{
		{name: "Problem", typ: typeOf[Problem]()},
		{name: "FieldError", typ: typeOf[domain.FieldError]()},
		{name: "OpenAPI", typ: typeOf[map[string]any](), schema: schemaOfType("object")},
		{name: "Accepted", typ: typeOf[acceptedDoc](), hints: jsonObject{"status": oneOfValues("queued")}},
		{name: "LoginRequest", typ: typeOf[loginRequest](), request: true, required: []string{"email", "password"}, hints: jsonObject{"email": email}},
		{name: "Session", typ: typeOf[sessionDoc]()},
		{name: "User", typ: typeOf[userDoc](), hints: jsonObject{"email": email, "role": oneOfValues(roleNames...)}},
		{name: "UserPage", typ: typeOf[pageDoc[userDoc]]()},
		{name: "UserCreate", typ: typeOf[userCreateRequest](), request: true, required: []string{"email", "password", "role"},
			hints: jsonObject{"email": email, "password": password, "role": oneOfValues(roleNames...)}},
		{name: "UserPatch", typ: typeOf[userPatchRequest](), request: true,
			hints: jsonObject{"email": email, "password": password, "role": oneOfValues(roleNames...)}},
		{name: "GroupSettings", typ: typeOf[group.Settings](), schema: groupSettings},
		{name: "Group", typ: typeOf[groupDoc]()},
		{name: "GroupPage", typ: typeOf[pageDoc[groupDoc]]()},
		{name: "GroupCreate", typ: typeOf[groupCreateRequest](), request: true, required: []string{"name"}, hints: settings},
		{name: "GroupPatch", typ: typeOf[groupPatchRequest](), request: true, hints: settings},
		{name: "Extension", typ: typeOf[extensionDoc]()},
		{name: "ExtensionPage", typ: typeOf[pageDoc[extensionDoc]]()},
		{name: "ExtensionCreate", typ: typeOf[extensionCreateRequest](), request: true, required: []string{"extension_id"},
			hints: jsonObject{"marketplace_url": uri}},
		{name: "ExtensionPatch", typ: typeOf[extensionPatchRequest](), request: true, hints: jsonObject{"marketplace_url": uri}},
		{name: "Assignment", typ: typeOf[assignmentDoc](), hints: jsonObject{"extension_id": jsonObject{"format": "uuid"}}},
		{name: "AssignmentPage", typ: typeOf[pageDoc[assignmentDoc]]()},
		{name: "AssignmentPut", typ: typeOf[assignmentPutRequest](), request: true},
		{name: "PackageCapabilities", typ: typeOf[extension.Capabilities](), hints: jsonObject{"untrusted_workspaces": oneOfValues("true", "false", "limited")}},
		{name: "ExtensionCapabilities", typ: typeOf[capabilitiesDoc]()},
		{name: "ThreatFeedStatus", typ: typeOf[threatFeedStatusDoc]()},
		{name: "ThreatFeed", typ: typeOf[threatFeedDoc](), hints: threatFeedHints},
		{name: "ThreatFeedPage", typ: typeOf[pageDoc[threatFeedDoc]]()},
		{name: "ThreatFeedCreate", typ: typeOf[threatFeedCreateRequest](), request: true, required: []string{"name", "kind", "mode"},
			hints: threatFeedHints},
		{name: "ThreatFeedImport", typ: typeOf[threatFeedImportDoc]()},
		{name: "Advisory", typ: typeOf[advisoryDoc](), hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...),
			"severity": oneOfValues("critical", "high", "medium", "low")}},
		{name: "AdvisoryPage", typ: typeOf[pageDoc[advisoryDoc]]()},
		{name: "AdvisorySuppression", typ: typeOf[suppressionDoc](), hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "AdvisorySuppressionCreate", typ: typeOf[suppressionCreateRequest](), request: true,
			required: []string{"group_id", "pattern_type", "pattern", "reason"}, hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "BlocklistEntry", typ: typeOf[blocklistDoc](), hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "BlocklistPage", typ: typeOf[pageDoc[blocklistDoc]]()},
		{name: "BlocklistCreate", typ: typeOf[blocklistCreateRequest](), request: true, required: []string{"pattern_type", "pattern"},
			hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "BlocklistPatch", typ: typeOf[blocklistPatchRequest](), request: true, hints: jsonObject{"pattern_type": oneOfValues(patternTypeNames...)}},
		{name: "BlocklistImpact", typ: typeOf[impactDoc]()},
		{name: "GroupImpact", typ: typeOf[groupImpactDoc](), hints: jsonObject{"enforcement": oneOfValues("audit", "enforce")}},
		{name: "ImpactedAgent", typ: typeOf[impactedAgentDoc](), hints: jsonObject{"enforcement": oneOfValues("audit", "enforce")}},
		{name: "APIKey", typ: typeOf[apiKeyDoc](), without: []string{"key"}, hints: scopes},
		{name: "APIKeyCreated", typ: typeOf[apiKeyDoc](), alias: true, required: []string{"key"}, hints: scopes},
		{name: "APIKeyPage", typ: typeOf[pageDoc[apiKeyDoc]]()},
		{name: "APIKeyCreate", typ: typeOf[apiKeyCreateRequest](), request: true, required: []string{"name", "scopes"},
			hints: scopes},
		{name: "Webhook", typ: typeOf[webhookDoc](), without: []string{"secret"}, hints: jsonObject{"event_types": eventTypes}},
		{name: "WebhookCreated", typ: typeOf[webhookDoc](), alias: true, required: []string{"secret"}, hints: jsonObject{"event_types": eventTypes}},
		{name: "WebhookPage", typ: typeOf[pageDoc[webhookDoc]]()},
		{name: "WebhookCreate", typ: typeOf[webhookCreateRequest](), request: true, required: []string{"url"},
			hints: jsonObject{"url": uri, "event_types": eventTypes}},
		{name: "WebhookPatch", typ: typeOf[webhookPatchRequest](), request: true,
			hints: jsonObject{"url": uri, "event_types": eventTypes}},
		{name: "Delivery", typ: typeOf[deliveryDoc](), hints: jsonObject{"status": oneOfValues("pending", "delivered", "failed")}},
		{name: "DeliveryAttempt", typ: typeOf[attemptDoc]()},
		{name: "DeliveryPage", typ: typeOf[pageDoc[deliveryDoc]]()},
		{name: "Agent", typ: typeOf[agentDoc](), hints: jsonObject{"status": oneOfValues("active", "stale", "offline", "decommissioned")}},
		{name: "AgentPage", typ: typeOf[pageDoc[agentDoc]]()},
		{name: "AgentDetail", typ: typeOf[agentDetailDoc](), hints: jsonObject{"status": oneOfValues("active", "stale", "offline", "decommissioned")}},
		{name: "InventoryItem", typ: typeOf[inventoryDoc]()},
		{name: "StoredVerdict", typ: typeOf[verdictViewDoc]()},
		{name: "InstalledNativePolicy", typ: typeOf[nativePolicyDoc]()},
		{name: "Violation", typ: typeOf[application.VerdictViolation](), hints: jsonObject{"kind": oneOfValues(violationKinds...)}},
		{name: "Report", typ: typeOf[reportDoc]()},
		{name: "ReportPage", typ: typeOf[pageDoc[reportDoc]]()},
		{name: "Installation", typ: typeOf[installationDoc]()},
		{name: "InstallationPage", typ: typeOf[pageDoc[installationDoc]]()},
		{name: "HistoricInventoryItem", typ: typeOf[historicItemDoc]()},
		{name: "HistoricInventoryPage", typ: typeOf[pageDoc[historicItemDoc]]()},
		{name: "Exposure", typ: typeOf[exposureDoc]()},
		{name: "ExposurePage", typ: typeOf[pageDoc[exposureDoc]]()},
		{name: "Compliance", typ: typeOf[complianceDoc]()},
		{name: "ViolationCount", typ: typeOf[kindCountDoc]()},
		{name: "Offender", typ: typeOf[offenderDoc]()},
		{name: "VSCodePolicyFile", typ: typeOf[vscodepolicy.PolicyFile]()},
		{name: "JSONSchema", typ: typeOf[map[string]any](), schema: jsonObject{"type": "object", "description": "a JSON Schema document"}},
		{name: "PolicyPlanRequest", typ: typeOf[policyPlanRequest](), request: true, required: []string{"file"}},
		{name: "PolicyPlan", typ: typeOf[policyPlanDoc]()},
		{name: "PolicyApplyRequest", typ: typeOf[policyApplyRequest](), request: true, required: []string{"file", "revision"}},
		{name: "PolicyApplied", typ: typeOf[policyAppliedDoc](), hints: jsonObject{"change_set_id": jsonObject{"format": "uuid"}}},
		{name: "PolicyChange", typ: typeOf[policyChangeDoc](), hints: jsonObject{"action": oneOfValues("create", "change", "delete"), "resource": oneOfValues("group", "catalog", "assignment", "blocklist")}},
		{name: "VerdictImpact", typ: typeOf[verdictImpactDoc]()},
		{name: "GroupVerdictImpact", typ: typeOf[groupVerdictDoc](), hints: jsonObject{"enforcement": oneOfValues("audit", "enforce"),
			"mode": oneOfValues("allowlist", "blocklist")}},
		{name: "ExtensionVerdictImpact", typ: typeOf[extensionVerdictDoc](), hints: jsonObject{"kind": oneOfValues(violationKinds...)}},
		{name: "AgentVerdictChange", typ: typeOf[agentVerdictDoc](), hints: jsonObject{"becomes": oneOfValues("non_compliant", "compliant")}},
		{name: "PolicyLintRequest", typ: typeOf[policyLintRequest](), request: true, required: []string{"content"}},
		{name: "PolicyLint", typ: typeOf[policyLintDoc](), hints: jsonObject{"format": oneOfValues("json", "value", "reg", "mobileconfig")}},
		{name: "LintFinding", typ: typeOf[lintFindingDoc](), hints: jsonObject{"effect": oneOfValues("fail-open", "over-broad", "never-matches", "shadowed")}},
		{name: "AuditEvent", typ: typeOf[auditDoc](), hints: jsonObject{"actor_type": oneOfValues("user", "api_key", "agent", "system")}},
		{name: "AuditPage", typ: typeOf[pageDoc[auditDoc]]()},
	}
}
