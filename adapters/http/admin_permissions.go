package httpapi

import "github.com/extguard/extguard/domain/user"

// Permission is what a route requires. Every admin route names exactly one
// in the route table (admin_routes.go); this is the only place roles are
// compared, so what a role may do reads off one table.
type Permission string

const (
	// PermPublic needs no credentials (logging in).
	PermPublic Permission = "public"
	// PermSession needs any valid credentials (logging out).
	PermSession Permission = "session"
	// PermRead reads policy and fleet: every role.
	PermRead Permission = "read"
	// PermEditPolicy changes groups, catalog, assignments, blocklist and API
	// keys: admins and editors.
	PermEditPolicy Permission = "edit_policy"
	// PermAnswerRequests reads the extension-request queue and approves or
	// denies requests (an approval changes policy): admins and editors.
	PermAnswerRequests Permission = "answer_requests"
	// PermDecommissionAgents decommissions agents: admins.
	PermDecommissionAgents Permission = "decommission_agents"
	// PermReadAudit reads the audit log: admins and auditors.
	PermReadAudit Permission = "read_audit"
	// PermManageWebhooks creates, changes, deletes and tests webhooks. A
	// webhook receives every audit event, so it needs the right to read the
	// audit log as well as to manage integrations: admins.
	PermManageWebhooks Permission = "manage_webhooks"
	// PermReadWebhookDeliveries reads a webhook's deliveries: which audit
	// events went out and how the endpoint answered. That is audit-log
	// metadata (no payloads), and checking that the SIEM received every
	// event is an auditor's job: admins and auditors.
	PermReadWebhookDeliveries Permission = "read_webhook_deliveries"
	// PermManageThreatFeeds creates, deletes and imports threat feeds. A
	// feed makes the server fetch a URL and blocks extensions in every
	// group, so it is an integration: admins.
	PermManageThreatFeeds Permission = "manage_threat_feeds"
	// PermReadUsers reads users: every role but viewer.
	PermReadUsers Permission = "read_users"
	// PermManageUsers creates, changes and deletes users: admins.
	PermManageUsers Permission = "manage_users"
	// PermAgentKey is the agent protocol's: a group API key of scope agent
	// (and, once enrolled, the agent's id), which the agent API checks
	// itself (application.AuthorizeAgentRequest). No role holds it.
	PermAgentKey Permission = "agent-key"
)

// Roles lists every role, for the tests that walk routes × roles.
var Roles = []user.Role{user.RoleAdmin, user.RoleEditor, user.RoleAuditor, user.RoleViewer}

// Allows reports whether role r holds the permission.
func (p Permission) Allows(r user.Role) bool {
	switch p {
	case PermPublic, PermSession:
		return true
	case PermRead:
		return r.CanRead()
	case PermEditPolicy, PermAnswerRequests:
		return r.CanEditPolicy()
	case PermDecommissionAgents:
		return r.CanDecommissionAgents()
	case PermManageUsers:
		return r.CanManageUsers()
	case PermReadAudit, PermReadWebhookDeliveries:
		return r.CanReadAuditLog()
	case PermManageWebhooks:
		return r.CanReadAuditLog() && r.CanManageIntegrations()
	case PermReadUsers:
		return r.CanReadUsers()
	case PermManageThreatFeeds:
		return r.CanEditPolicy() && r.CanManageIntegrations()
	}
	return false
}
