package httpapi

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
)

// Admin is the admin REST API module.
type Admin struct {
	uc     *application.Application // handlers parse, call one use case and shape the answer
	log    *slog.Logger
	routes []route // the table's rows this module mounts: all but the agent protocol's
}

// NewAdmin builds the module and its rows of the route table.
func NewAdmin(uc *application.Application, log *slog.Logger) *Admin {
	a := &Admin{uc: uc, log: log}
	a.routes = slices.DeleteFunc(routeTable(a, nil), func(r route) bool { return r.Permission == PermAgentKey })
	return a
}

// route is one row of the route table: the route, the one permission
// it needs, and what the OpenAPI document says about it.
type route struct {
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
	// operation, when set, is the row's OpenAPI operation as written: the
	// agent protocol's headers, optional body and alternative statuses
	// are more than the fields above say.
	operation jsonObject
}

// param is a documented query parameter.
type param struct {
	Name        string
	Type        string // string, uuid, boolean, date-time
	Description string
	Enum        []string
}

func (r *route) acceptsQuery(name string) bool {
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
			// The row's status is the answer's: a handler writes only the
			// body, and changes the status only to an alternative the
			// document declares (a PUT that created its target).
			c.Status(r.Status)
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

func stringParam(name, desc string) param {
	return param{Name: name, Type: "string", Description: desc}
}
func uuidParam(name, desc string) param { return param{Name: name, Type: "uuid", Description: desc} }
func boolParam(name, desc string) param { return param{Name: name, Type: "boolean", Description: desc} }
func timeParam(name, desc string) param {
	return param{Name: name, Type: "date-time", Description: desc}
}

// sinceParam and untilParam bound the time-ordered lists (reports, audit log).
var sinceParam, untilParam = timeParam("since", "inclusive lower bound"), timeParam("until", "exclusive upper bound")

// routeTable is the one table of routes, agent protocol and admin API, and
// the permission each needs,
// assembled from the resources' files (users.go, groups.go, ...), each of
// which holds its routes' rows, request and response types and handlers.
// Each module takes its own rows (the other may be nil: its rows then
// describe, and are never called).
func routeTable(a *Admin, h *AgentAPI) []route {
	return slices.Concat(h.routes(), a.metaRoutes(), a.authRoutes(), a.userRoutes(),
		a.groupRoutes(), a.catalogRoutes(), a.assignmentRoutes(), a.blocklistRoutes(), a.apiKeyRoutes(),
		a.agentRoutes(), a.reportRoutes(), a.installationRoutes(), a.complianceRoutes(), a.policyRoutes(),
		a.policyLintRoutes(), a.policyFileRoutes(), a.auditLogRoutes(), a.webhookRoutes(),
		a.historyRoutes(), a.requestRoutes(), a.threatFeedRoutes(), a.sbomRoutes(), a.capabilityRoutes())
}
