package httpapi

import "github.com/extguard/extguard/domain/audit"

// Schemas of the admin API's bodies, in step with admin_dto.go.

func s(t string) obj          { return obj{"type": t} }
func sf(t, format string) obj { return obj{"type": t, "format": format} }
func nullable(t, format string) obj {
	o := obj{"type": []string{t, "null"}}
	if format != "" {
		o["format"] = format
	}
	return o
}
func arr(items obj) obj         { return obj{"type": "array", "items": items} }
func enum(values ...string) obj { return obj{"type": "string", "enum": values} }

// object is a closed object schema; required lists the always-present keys.
func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// response objects always carry every property.
func resource(props obj) obj {
	req := make([]string, 0, len(props))
	for k := range props {
		req = append(req, k)
	}
	return object(sortedStrings(req), props)
}

func page(item string) obj {
	return resource(obj{"items": arr(ref(item)), "next_cursor": nullable("string", "")})
}

func schemas() obj {
	id, ts, optTS := sf("string", "uuid"), sf("string", "date-time"), nullable("string", "date-time")
	optID, optStr := nullable("string", "uuid"), nullable("string", "")
	roles := enum("admin", "editor", "auditor", "viewer")
	patternTypes := enum("exact", "publisher", "glob", "regex")
	eventTypes := make([]string, len(audit.EventTypes))
	for i, t := range audit.EventTypes {
		eventTypes[i] = string(t)
	}
	settings := object(nil, obj{"mode": enum("allowlist", "blocklist"), "enforcement": enum("audit", "enforce"),
		"heartbeat_interval_s": s("integer"), "stale_after_s": s("integer"), "offline_after_s": s("integer")})
	extension := obj{"id": id, "extension_id": s("string"), "name": s("string"), "publisher": s("string"),
		"pinned_version": optStr, "sha256_checksum": optStr, "marketplace_url": optStr, "is_blocked": s("boolean"),
		"block_reason": s("string"), "content_sha256": optStr, "revalidated_at": optTS, "created_at": ts, "updated_at": ts}
	apiKey := obj{"id": id, "group_id": optID, "created_by": optID, "key_prefix": s("string"), "name": s("string"),
		"scopes": arr(enum("agent", "admin", "read")), "expires_at": optTS, "last_used_at": optTS, "revoked_at": optTS, "created_at": ts}
	hook := obj{"id": id, "url": sf("string", "uri"), "description": s("string"), "event_types": arr(enum(eventTypes...)),
		"is_enabled": s("boolean"), "disabled_reason": s("string"), "created_by": optID, "created_at": ts, "updated_at": ts}
	agentProps := obj{"id": id, "group_id": id, "machine_id": s("string"), "user_hash": s("string"), "display_name": s("string"),
		"platform": s("string"), "agent_version": s("string"), "last_heartbeat": optTS, "last_sync": optTS,
		"status": enum("active", "stale", "offline", "decommissioned"), "created_at": ts, "updated_at": ts}
	detail := obj{"inventory": arr(resource(obj{"editor": s("string"), "extension_id": s("string"), "version": optStr, "sha256": optStr, "reported_at": ts})),
		"verdict": obj{"oneOf": []obj{s("null"), object([]string{"reported_at", "policy_etag", "compliant", "violations"}, obj{
			"reported_at": ts, "policy_etag": s("string"), "compliant": s("boolean"), "violations": arr(ref("Violation"))})}}}
	for k, v := range agentProps {
		detail[k] = v
	}
	withSecret := func(props obj, key string) obj {
		out := obj{key: s("string")}
		for k, v := range props {
			out[k] = v
		}
		return resource(out)
	}
	return obj{
		"Problem": object([]string{"type", "title", "status"}, obj{"type": s("string"), "title": s("string"), "status": s("integer"),
			"detail": s("string"), "instance": s("string"),
			"errors": arr(object([]string{"Field", "Message"}, obj{"Field": s("string"), "Message": s("string")}))}),
		"OpenAPI":      s("object"),
		"Accepted":     resource(obj{"status": enum("queued")}),
		"LoginRequest": object([]string{"email", "password"}, obj{"email": sf("string", "email"), "password": s("string")}),
		"Session":      resource(obj{"token": s("string"), "expires_at": ts, "user": ref("User")}),
		"User": resource(obj{"id": id, "email": sf("string", "email"), "display_name": s("string"), "role": roles,
			"is_active": s("boolean"), "last_login_at": optTS, "created_at": ts, "updated_at": ts}),
		"UserPage": page("User"),
		"UserCreate": object([]string{"email", "password", "role"}, obj{"email": sf("string", "email"),
			"password": obj{"type": "string", "minLength": 12, "maxLength": 256}, "display_name": s("string"), "role": roles}),
		"UserPatch": object(nil, obj{"email": sf("string", "email"), "password": obj{"type": "string", "minLength": 12, "maxLength": 256},
			"display_name": s("string"), "role": roles, "is_active": s("boolean")}),
		"Group":         resource(obj{"id": id, "name": s("string"), "description": s("string"), "settings": settings, "created_at": ts, "updated_at": ts}),
		"GroupPage":     page("Group"),
		"GroupCreate":   object([]string{"name"}, obj{"name": s("string"), "description": s("string"), "settings": settings}),
		"GroupPatch":    object(nil, obj{"name": s("string"), "description": s("string"), "settings": settings}),
		"Extension":     resource(extension),
		"ExtensionPage": page("Extension"),
		"ExtensionCreate": object([]string{"extension_id"}, obj{"extension_id": s("string"), "name": s("string"), "publisher": s("string"),
			"pinned_version": s("string"), "sha256_checksum": s("string"), "marketplace_url": sf("string", "uri"),
			"is_blocked": s("boolean"), "block_reason": s("string")}),
		"ExtensionPatch": object(nil, obj{"extension_id": s("string"), "name": s("string"), "pinned_version": s("string"),
			"sha256_checksum": s("string"), "marketplace_url": sf("string", "uri"), "is_blocked": s("boolean"), "block_reason": s("string")}),
		"Assignment": resource(obj{"id": id, "group_id": id, "extension_id": id, "is_required": s("boolean"), "added_by": optID,
			"created_at": ts, "extension": ref("Extension")}),
		"AssignmentPage": page("Assignment"),
		"AssignmentPut":  object(nil, obj{"is_required": s("boolean")}),
		"BlocklistEntry": resource(obj{"id": id, "pattern_type": patternTypes, "pattern": s("string"), "reason": s("string"),
			"created_by": optID, "is_active": s("boolean"), "created_at": ts, "updated_at": ts}),
		"BlocklistPage":   page("BlocklistEntry"),
		"BlocklistCreate": object([]string{"pattern_type", "pattern"}, obj{"pattern_type": patternTypes, "pattern": s("string"), "reason": s("string"), "is_active": s("boolean")}),
		"BlocklistPatch":  object(nil, obj{"pattern_type": patternTypes, "pattern": s("string"), "reason": s("string"), "is_active": s("boolean")}),
		"APIKey":          resource(apiKey),
		"APIKeyPage":      page("APIKey"),
		"APIKeyCreate":    object([]string{"name", "scopes"}, obj{"name": s("string"), "scopes": arr(enum("agent", "admin", "read")), "expires_at": ts}),
		"APIKeyCreated":   withSecret(apiKey, "key"),
		"Webhook":         resource(hook),
		"WebhookPage":     page("Webhook"),
		"WebhookCreate":   object([]string{"url"}, obj{"url": sf("string", "uri"), "event_types": arr(enum(eventTypes...)), "description": s("string")}),
		"WebhookPatch":    object(nil, obj{"url": sf("string", "uri"), "event_types": arr(enum(eventTypes...)), "description": s("string"), "is_enabled": s("boolean")}),
		"WebhookCreated":  withSecret(hook, "secret"),
		"Delivery": resource(obj{"id": id, "webhook_id": id, "audit_id": id, "event_type": s("string"), "status": enum("pending", "delivered", "failed"),
			"attempts": s("integer"), "next_attempt_at": optTS, "last_attempt_at": optTS, "last_status_code": nullable("integer", ""),
			"last_error": s("string"), "delivered_at": optTS, "created_at": ts,
			"attempt_log": arr(resource(obj{"attempt": s("integer"), "attempted_at": ts, "status_code": nullable("integer", ""),
				"duration_ms": s("integer"), "error": s("string"), "response_snippet": s("string")}))}),
		"DeliveryPage": page("Delivery"),
		"Agent":        resource(agentProps),
		"AgentPage":    page("Agent"),
		"AgentDetail":  resource(detail),
		"Violation": object([]string{"extension_id", "kind"}, obj{"extension_id": s("string"),
			"kind": enum("blocked", "version_mismatch", "checksum_mismatch", "unapproved", "required_missing"), "detail": s("string"), "editors": arr(s("string"))}),
		"Report": resource(obj{"id": id, "agent_id": id, "group_id": id, "extension_id": s("string"), "user_hash": s("string"),
			"installed": s("boolean"), "installed_version": optStr, "extension_sha256": optStr, "editor": s("string"), "client_ip": optStr, "reported_at": ts}),
		"ReportPage": page("Report"),
		"Installation": resource(obj{"agent_id": id, "group_id": id, "machine_id": s("string"), "display_name": s("string"),
			"extension_id": s("string"), "version": optStr, "editor": s("string"), "reported_at": ts}),
		"InstallationPage": page("Installation"),
		"Compliance": resource(obj{"group_id": optID, "agents": s("integer"), "agents_by_status": obj{"type": "object", "additionalProperties": s("integer")},
			"compliant": s("integer"), "non_compliant": s("integer"), "not_reported": s("integer"),
			"violations_by_kind": arr(resource(obj{"kind": s("string"), "violations": s("integer"), "agents": s("integer")})),
			"top_offenders":      arr(resource(obj{"extension_id": s("string"), "agents": s("integer")})), "generated_at": ts}),
		"Policy": object([]string{"etag", "group_id", "mode", "enforcement", "required", "allowed", "blocked", "generated_at"}, obj{
			"etag": s("string"), "group_id": id, "mode": enum("allowlist", "blocklist"), "enforcement": enum("audit", "enforce"),
			"heartbeat_interval_s": s("integer"),
			"required": arr(obj{"type": "object", "properties": obj{"extension_id": s("string"), "version": optStr, "sha256": optStr,
				"content_sha256": optStr, "download_url": optStr}}),
			"allowed":      arr(obj{"type": "object", "properties": obj{"extension_id": s("string"), "version": optStr, "content_sha256": optStr}}),
			"blocked":      arr(obj{"type": "object", "properties": obj{"pattern_type": patternTypes, "pattern": s("string"), "reason": s("string")}}),
			"generated_at": ts}),
		"AuditEvent": resource(obj{"id": id, "event_type": s("string"), "actor_type": enum("user", "api_key", "agent", "system"),
			"actor_id": optID, "group_id": optID, "target_type": s("string"), "target_id": optID, "details": s("object"),
			"client_ip": optStr, "user_agent": s("string"), "created_at": ts}),
		"AuditPage": page("AuditEvent"),
	}
}
