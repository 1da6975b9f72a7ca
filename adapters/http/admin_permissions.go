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
	// PermEditPolicy changes groups, catalog, assignments, blocklist, API keys
	// and webhooks: admins and editors.
	PermEditPolicy Permission = "edit_policy"
	// PermManageFleet decommissions agents: admins.
	PermManageFleet Permission = "manage_fleet"
	// PermReadAudit reads the audit log: admins and auditors.
	PermReadAudit Permission = "read_audit"
	// PermReadUsers reads users: every role but viewer.
	PermReadUsers Permission = "read_users"
	// PermManageUsers creates, changes and deletes users: admins.
	PermManageUsers Permission = "manage_users"
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
	case PermEditPolicy:
		return r.CanEditPolicy()
	case PermManageFleet, PermManageUsers:
		return r.CanManageUsers()
	case PermReadAudit:
		return r.CanReadAuditLog()
	case PermReadUsers:
		return r.CanReadUsers()
	}
	return false
}
