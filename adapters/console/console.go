// Package console is the admin console: server-rendered pages (html/template)
// for the security team, with htmx for the few parts that update in place.
// It is a client of the same use cases as the REST API (application.Application)
// and runs no SQL of its own; everything it serves is embedded in the binary.
package console

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
)

// Prefix is where the console is mounted; its addresses below it are part
// of the contract (people paste them into tickets).
const Prefix = "/console"

// assets are the console's static files: console.css and console.js (ours) and
// htmx.min.js, htmx 2.0.11 (licence 0BSD), byte for byte the dist/htmx.min.js
// of `npm pack htmx.org@2.0.11` (see docs/console.md to update it).
//
//go:embed assets
var assetFS embed.FS

// Console is the console module of the HTTP server.
type Console struct {
	uc    *application.Application
	log   *slog.Logger
	pages *pages
}

// New builds the console on the application's use cases.
func New(uc *application.Application, log *slog.Logger) *Console {
	return &Console{uc: uc, log: log, pages: parsePages()}
}

var _ httpapi.Module = (*Console)(nil)

// page is one console route: what it needs and who may use it. The server
// checks the permission whatever the page shows.
type page struct {
	method     string
	path       string
	permission httpapi.Permission
	handle     func(c *fiber.Ctx, s *session) error
}

// Register mounts the console: security headers on every answer, the
// cross-site check before anything changes state, then sign-in.
func (k *Console) Register(app *fiber.App) {
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect(Prefix+"/", fiber.StatusFound) })
	// Pages and assets go out compressed: a list page is mostly repeated markup.
	grp := app.Group(Prefix, securityHeaders, refuseCrossSite, compress.New())
	sub, _ := fs.Sub(assetFS, "assets")
	grp.Use("/assets", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
	grp.Get("/login", k.loginForm)
	grp.Post("/login", k.login)
	for _, p := range k.routes() {
		grp.Add(p.method, p.path, k.guard(p))
	}
}

// routes is the console's one table: address, permission, handler.
func (k *Console) routes() []page {
	read, edit := httpapi.PermRead, httpapi.PermEditPolicy
	return []page{
		{fiber.MethodPost, "/logout", httpapi.PermSession, k.logout},
		{fiber.MethodGet, "/", read, k.overview},
		{fiber.MethodGet, "/agents", read, k.agents},
		{fiber.MethodGet, "/agents/:id", read, k.agent},
		{fiber.MethodGet, "/installations", read, k.installations},
		{fiber.MethodGet, "/installations.csv", read, k.installationsCSV},
		{fiber.MethodPost, "/installations/impact", read, k.blockImpact},
		{fiber.MethodGet, "/groups", read, k.groups},
		{fiber.MethodGet, "/groups/:id", read, k.group},
		{fiber.MethodGet, "/groups/:id/policy", read, k.nativePolicy},
		{fiber.MethodPost, "/groups/:id/api-keys", edit, k.createAPIKey},
		{fiber.MethodPost, "/api-keys/:id/revoke", edit, k.revokeAPIKey},
		{fiber.MethodGet, "/blocklist", read, k.blocklist},
		{fiber.MethodPost, "/blocklist", edit, k.createBlock},
		{fiber.MethodGet, "/audit", httpapi.PermReadAudit, k.auditLog},
		{fiber.MethodGet, "/extensions", read, k.extensions},
		{fiber.MethodGet, "/webhooks", read, k.webhooks},
		{fiber.MethodGet, "/webhooks/:id", httpapi.PermReadWebhookDeliveries, k.webhookDeliveries},
		{fiber.MethodGet, "/users", httpapi.PermReadUsers, k.users},
		{fiber.MethodGet, "/requests", httpapi.PermAnswerRequests, k.requests},
		{fiber.MethodPost, "/requests/:id/approve", httpapi.PermAnswerRequests, k.approveRequest},
		{fiber.MethodPost, "/requests/:id/deny", httpapi.PermAnswerRequests, k.denyRequest},
		{fiber.MethodGet, "/feeds", read, k.feeds},
		{fiber.MethodGet, "/feeds/:id", read, k.feed},
		{fiber.MethodGet, "/agents/:id/sbom", read, k.agentSBOM},
		{fiber.MethodGet, "/groups/:id/sbom", read, k.groupSBOM},
		// The edit forms: each calls the use case the REST API calls, under
		// the API route's permission.
		{fiber.MethodPost, "/groups/:id/settings", edit, k.updateGroupSettings},
		{fiber.MethodPost, "/groups/:id/assignments", edit, k.putAssignment},
		{fiber.MethodPost, "/groups/:id/assignments/:entry/remove", edit, k.removeAssignment},
		{fiber.MethodPost, "/groups/:id/assignments/:entry/pin", edit, k.pinVersion},
		{fiber.MethodPost, "/users", httpapi.PermManageUsers, k.createUser},
		{fiber.MethodPost, "/users/:id", httpapi.PermManageUsers, k.updateUser},
		{fiber.MethodPost, "/webhooks", httpapi.PermManageWebhooks, k.createWebhook},
		{fiber.MethodPost, "/webhooks/:id", httpapi.PermManageWebhooks, k.updateWebhook},
		{fiber.MethodPost, "/webhooks/:id/delete", httpapi.PermManageWebhooks, k.deleteWebhook},
	}
}

// guard signs the request in from its cookie (to the login page when it
// has none that holds), checks the CSRF token of a state change and the
// page's permission (a refusal is audited as the API's are).
func (k *Console) guard(p page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := k.signedIn(c)
		if err != nil {
			return k.toLogin(c)
		}
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !s.validCSRF(c) {
			return k.refuse(c, s, fiber.StatusForbidden, "The form is stale or was sent from another site: reload the page and try again.")
		}
		if !p.permission.Allows(s.principal.Role) {
			who := httpapi.RequestActor(c, s.principal)
			if err := k.uc.AccessDenied.Execute(c.UserContext(), who, string(s.principal.Role), p.method, Prefix+p.path, string(p.permission)); err != nil {
				return k.fail(c, s, err)
			}
			return k.refuse(c, s, fiber.StatusForbidden, "Your role ("+string(s.principal.Role)+") may not do this; it needs "+string(p.permission)+".")
		}
		return p.handle(c, s)
	}
}
