package httpapi

import (
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
)

// Admin is the admin REST API module.
type Admin struct {
	uc     *application.Application // handlers parse, call one use case and shape the answer
	log    *slog.Logger
	routes []adminRoute
}

// NewAdmin builds the module and its route table.
func NewAdmin(uc *application.Application, log *slog.Logger) *Admin {
	a := &Admin{uc: uc, log: log}
	a.routes = a.routeTable()
	return a
}

// adminRoute is one row of the route table: the route, the one permission
// it needs, and what the OpenAPI document says about it.
type adminRoute struct {
	Method     string
	Path       string // OpenAPI form: /api/v1/groups/{id}
	Permission Permission
	Tag        string
	Summary    string
	List       bool    // keyset-paginated: accepts limit and cursor
	Query      []param // filters
	Body       string  // request schema name; "" for none
	Status     int     // success status
	Response   string  // response schema name; "" for no body
	handle     fiber.Handler
}

// param is a documented query parameter.
type param struct {
	Name        string
	Type        string // string, uuid, boolean, date-time
	Description string
	Enum        []string
}

func (r *adminRoute) acceptsQuery(name string) bool {
	if r.List && (name == "limit" || name == "cursor") {
		return true
	}
	for _, p := range r.Query {
		if p.Name == name {
			return true
		}
	}
	return false
}

// fiberPath turns {name} segments into fiber's :name.
func fiberPath(p string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(p)
}

// Register mounts every route of the table behind the guard.
func (a *Admin) Register(app *fiber.App) {
	for i := range a.routes {
		r := &a.routes[i]
		app.Add(r.Method, fiberPath(r.Path), a.guard(r), func(c *fiber.Ctx) error {
			if err := checkQuery(c, r); err != nil {
				return err
			}
			return r.handle(c)
		})
	}
}

// RouteKeys lists "METHOD /path" of every admin route, for tests and tools.
func (a *Admin) RouteKeys() []string {
	out := make([]string, len(a.routes))
	for i, r := range a.routes {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

// RoutePermission answers the permission of a route key, for tests.
func (a *Admin) RoutePermission(key string) (Permission, bool) {
	for _, r := range a.routes {
		if r.Method+" "+r.Path == key {
			return r.Permission, true
		}
	}
	return "", false
}

func str(name, desc string) param       { return param{Name: name, Type: "string", Description: desc} }
func uuidParam(name, desc string) param { return param{Name: name, Type: "uuid", Description: desc} }
func boolParam(name, desc string) param { return param{Name: name, Type: "boolean", Description: desc} }
func timeParam(name, desc string) param {
	return param{Name: name, Type: "date-time", Description: desc}
}

// routeTable is the one table of admin routes and the permission each needs.
func (a *Admin) routeTable() []adminRoute {
	const (
		get, post, patch, put, del  = fiber.MethodGet, fiber.MethodPost, fiber.MethodPatch, fiber.MethodPut, fiber.MethodDelete
		ok, created, accepted, none = 200, 201, 202, 204
	)
	since, until := timeParam("since", "inclusive lower bound"), timeParam("until", "exclusive upper bound")
	return []adminRoute{
		{Method: get, Path: "/api/v1/openapi.json", Permission: PermPublic, Tag: "meta", Summary: "This document", Status: ok, Response: "OpenAPI", handle: a.openAPI},
		{Method: post, Path: "/api/v1/auth/login", Permission: PermPublic, Tag: "auth", Summary: "Log in with email and password", Body: "LoginRequest", Status: ok, Response: "Session", handle: a.login},
		{Method: post, Path: "/api/v1/auth/logout", Permission: PermSession, Tag: "auth", Summary: "End the caller's session", Status: none, handle: a.logout},

		{Method: get, Path: "/api/v1/users", Permission: PermReadUsers, Tag: "users", Summary: "List users", List: true,
			Query:  []param{{Name: "role", Type: "string", Enum: []string{"admin", "editor", "auditor", "viewer"}}, boolParam("is_active", ""), str("email", "exact, case-insensitive")},
			Status: ok, Response: "UserPage", handle: a.listUsers},
		{Method: post, Path: "/api/v1/users", Permission: PermManageUsers, Tag: "users", Summary: "Create a user", Body: "UserCreate", Status: created, Response: "User", handle: a.createUser},
		{Method: get, Path: "/api/v1/users/{id}", Permission: PermReadUsers, Tag: "users", Summary: "Read a user", Status: ok, Response: "User", handle: a.getUser},
		{Method: patch, Path: "/api/v1/users/{id}", Permission: PermManageUsers, Tag: "users", Summary: "Change a user", Body: "UserPatch", Status: ok, Response: "User", handle: a.updateUser},
		{Method: del, Path: "/api/v1/users/{id}", Permission: PermManageUsers, Tag: "users", Summary: "Delete a user", Status: none, handle: a.deleteUser},

		{Method: get, Path: "/api/v1/groups", Permission: PermRead, Tag: "groups", Summary: "List groups", List: true,
			Query: []param{str("name", "exact, case-insensitive")}, Status: ok, Response: "GroupPage", handle: a.listGroups},
		{Method: post, Path: "/api/v1/groups", Permission: PermEditPolicy, Tag: "groups", Summary: "Create a group", Body: "GroupCreate", Status: created, Response: "Group", handle: a.createGroup},
		{Method: get, Path: "/api/v1/groups/{id}", Permission: PermRead, Tag: "groups", Summary: "Read a group", Status: ok, Response: "Group", handle: a.getGroup},
		{Method: patch, Path: "/api/v1/groups/{id}", Permission: PermEditPolicy, Tag: "groups", Summary: "Change a group (settings are merged key by key)", Body: "GroupPatch", Status: ok, Response: "Group", handle: a.updateGroup},
		{Method: del, Path: "/api/v1/groups/{id}", Permission: PermEditPolicy, Tag: "groups", Summary: "Delete a group without enrolled agents", Status: none, handle: a.deleteGroup},

		{Method: get, Path: "/api/v1/extensions", Permission: PermRead, Tag: "catalog", Summary: "List the catalog", List: true,
			Query: []param{str("extension_id", "publisher.name"), str("publisher", ""), boolParam("is_blocked", "")}, Status: ok, Response: "ExtensionPage", handle: a.listCatalog},
		{Method: post, Path: "/api/v1/extensions", Permission: PermEditPolicy, Tag: "catalog", Summary: "Add a catalog entry", Body: "ExtensionCreate", Status: created, Response: "Extension", handle: a.createCatalogEntry},
		{Method: get, Path: "/api/v1/extensions/{id}", Permission: PermRead, Tag: "catalog", Summary: "Read a catalog entry", Status: ok, Response: "Extension", handle: a.getCatalogEntry},
		{Method: patch, Path: "/api/v1/extensions/{id}", Permission: PermEditPolicy, Tag: "catalog", Summary: "Change a catalog entry", Body: "ExtensionPatch", Status: ok, Response: "Extension", handle: a.updateCatalogEntry},
		{Method: del, Path: "/api/v1/extensions/{id}", Permission: PermEditPolicy, Tag: "catalog", Summary: "Delete a catalog entry and its assignments", Status: none, handle: a.deleteCatalogEntry},
		{Method: post, Path: "/api/v1/extensions/{id}/revalidate", Permission: PermEditPolicy, Tag: "catalog", Summary: "Queue a checksum revalidation", Status: accepted, Response: "Accepted", handle: a.revalidate},

		{Method: get, Path: "/api/v1/groups/{id}/extensions", Permission: PermRead, Tag: "assignments", Summary: "List a group's assignments", List: true, Status: ok, Response: "AssignmentPage", handle: a.listAssignments},
		{Method: put, Path: "/api/v1/groups/{id}/extensions/{extension_uuid}", Permission: PermEditPolicy, Tag: "assignments", Summary: "Assign a catalog entry to a group", Body: "AssignmentPut", Status: ok, Response: "Assignment", handle: a.putAssignment},
		{Method: del, Path: "/api/v1/groups/{id}/extensions/{extension_uuid}", Permission: PermEditPolicy, Tag: "assignments", Summary: "Remove an assignment", Status: none, handle: a.removeAssignment},

		{Method: get, Path: "/api/v1/blocklist", Permission: PermRead, Tag: "blocklist", Summary: "List the blocklist", List: true,
			Query: []param{{Name: "pattern_type", Type: "string", Enum: []string{"exact", "publisher", "glob", "regex"}}, boolParam("is_active", "")}, Status: ok, Response: "BlocklistPage", handle: a.listBlocklist},
		{Method: post, Path: "/api/v1/blocklist", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Add a blocklist entry", Body: "BlocklistCreate", Status: created, Response: "BlocklistEntry", handle: a.createBlocklistEntry},
		{Method: get, Path: "/api/v1/blocklist/{id}", Permission: PermRead, Tag: "blocklist", Summary: "Read a blocklist entry", Status: ok, Response: "BlocklistEntry", handle: a.getBlocklistEntry},
		{Method: patch, Path: "/api/v1/blocklist/{id}", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Change a blocklist entry", Body: "BlocklistPatch", Status: ok, Response: "BlocklistEntry", handle: a.updateBlocklistEntry},
		{Method: del, Path: "/api/v1/blocklist/{id}", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Delete a blocklist entry", Status: none, handle: a.deleteBlocklistEntry},

		{Method: get, Path: "/api/v1/groups/{id}/api-keys", Permission: PermRead, Tag: "api-keys", Summary: "List a group's API keys (never their secrets)", List: true, Status: ok, Response: "APIKeyPage", handle: a.listAPIKeys},
		{Method: post, Path: "/api/v1/groups/{id}/api-keys", Permission: PermEditPolicy, Tag: "api-keys", Summary: "Create an API key; the secret is in this answer only", Body: "APIKeyCreate", Status: created, Response: "APIKeyCreated", handle: a.createAPIKey},
		{Method: del, Path: "/api/v1/api-keys/{id}", Permission: PermEditPolicy, Tag: "api-keys", Summary: "Revoke an API key", Status: none, handle: a.revokeAPIKey},

		{Method: get, Path: "/api/v1/agents", Permission: PermRead, Tag: "agents", Summary: "List agents", List: true,
			Query:  []param{uuidParam("group_id", ""), {Name: "status", Type: "string", Enum: []string{"active", "stale", "offline", "decommissioned"}}, str("platform", "e.g. linux-x64")},
			Status: ok, Response: "AgentPage", handle: a.listAgents},
		{Method: get, Path: "/api/v1/agents/{id}", Permission: PermRead, Tag: "agents", Summary: "Read an agent with its current inventory and verdict", Status: ok, Response: "AgentDetail", handle: a.getAgent},
		{Method: del, Path: "/api/v1/agents/{id}", Permission: PermDecommissionAgents, Tag: "agents", Summary: "Decommission an agent", Status: none, handle: a.decommissionAgent},

		{Method: get, Path: "/api/v1/reports", Permission: PermRead, Tag: "reports", Summary: "Report history, newest first", List: true,
			Query:  []param{uuidParam("agent_id", ""), uuidParam("group_id", ""), str("extension_id", "publisher.name"), since, until},
			Status: ok, Response: "ReportPage", handle: a.listReports},
		{Method: get, Path: "/api/v1/installations", Permission: PermRead, Tag: "investigation", Summary: "Who has an extension installed now (give exactly one of extension_id, publisher, pattern)", List: true,
			Query: []param{str("extension_id", "publisher.name"), str("publisher", ""), str("pattern", "a blocklist-style pattern"),
				{Name: "pattern_type", Type: "string", Enum: []string{"exact", "publisher", "glob", "regex"}, Description: "how pattern reads; glob when absent"}, uuidParam("group_id", "")},
			Status: ok, Response: "InstallationPage", handle: a.findInstallations},
		{Method: get, Path: "/api/v1/groups/{id}/compliance", Permission: PermRead, Tag: "compliance", Summary: "A group's compliance now", Status: ok, Response: "Compliance", handle: a.groupCompliance},
		{Method: get, Path: "/api/v1/compliance", Permission: PermRead, Tag: "compliance", Summary: "Fleet-wide compliance now", Status: ok, Response: "Compliance", handle: a.fleetCompliance},
		{Method: get, Path: "/api/v1/groups/{id}/policy", Permission: PermRead, Tag: "policy", Summary: "The compiled policy the group's agents receive", Status: ok, Response: "Policy", handle: a.groupPolicy},
		{Method: get, Path: "/api/v1/groups/{id}/policy/vscode", Permission: PermRead, Tag: "policy", Summary: "The policy as the editors' native AllowedExtensions policy",
			Query:  []param{{Name: "format", Type: "string", Enum: []string{"json", "mobileconfig", "reg"}, Description: "json (default): /etc/vscode/policy.json; mobileconfig: macOS profile; reg: Windows registry file"}},
			Status: ok, Response: "VSCodePolicy", handle: a.vscodePolicy},

		{Method: get, Path: "/api/v1/audit-log", Permission: PermReadAudit, Tag: "audit", Summary: "The audit log, newest first", List: true,
			Query:  []param{str("event_type", "e.g. blocklist.created"), uuidParam("actor_id", ""), uuidParam("group_id", ""), str("target_type", ""), uuidParam("target_id", ""), since, until},
			Status: ok, Response: "AuditPage", handle: a.listAuditLog},

		{Method: get, Path: "/api/v1/webhooks", Permission: PermRead, Tag: "webhooks", Summary: "List webhooks", List: true, Query: []param{boolParam("is_enabled", "")}, Status: ok, Response: "WebhookPage", handle: a.listWebhooks},
		{Method: post, Path: "/api/v1/webhooks", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Subscribe an endpoint; the secret is in this answer only", Body: "WebhookCreate", Status: created, Response: "WebhookCreated", handle: a.createWebhook},
		{Method: get, Path: "/api/v1/webhooks/{id}", Permission: PermRead, Tag: "webhooks", Summary: "Read a webhook", Status: ok, Response: "Webhook", handle: a.getWebhook},
		{Method: patch, Path: "/api/v1/webhooks/{id}", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Change a webhook", Body: "WebhookPatch", Status: ok, Response: "Webhook", handle: a.updateWebhook},
		{Method: del, Path: "/api/v1/webhooks/{id}", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Delete a webhook", Status: none, handle: a.deleteWebhook},
		{Method: get, Path: "/api/v1/webhooks/{id}/deliveries", Permission: PermReadWebhookDeliveries, Tag: "webhooks", Summary: "A webhook's deliveries, newest first, with every attempt", List: true, Status: ok, Response: "DeliveryPage", handle: a.listDeliveries},
		{Method: post, Path: "/api/v1/webhooks/{id}/test", Permission: PermManageWebhooks, Tag: "webhooks", Summary: "Send a webhook.test event to this endpoint", Status: accepted, Response: "Accepted", handle: a.testWebhook},
	}
}
