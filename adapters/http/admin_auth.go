package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

const principalKey = "extguard.principal"

// authenticate resolves the bearer credentials of an admin request: a
// session token (egs_…) or an API key with admin or read scope (egk_…).
func (a *Admin) authenticate(c *fiber.Ctx) (application.Principal, error) {
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return application.Principal{}, domain.Unauthorized("send Authorization: Bearer <session token or API key>")
	}
	if application.IsSessionToken(token) {
		return a.uc.AuthenticateSession.Execute(c.UserContext(), token)
	}
	if a.uc.AuthenticateAPIKey == nil {
		return application.Principal{}, domain.Unauthorized("missing, expired or revoked session token")
	}
	// The origin goes along for the audit row of a revoked or expired key.
	ctx := application.WithOrigin(c.UserContext(), requestOrigin{c})
	k, err := a.uc.AuthenticateAPIKey.Execute(ctx, strings.Clone(token))
	if err != nil {
		return application.Principal{}, err
	}
	return application.PrincipalForAPIKey(k)
}

// guard is the admin routes' middleware: it authenticates, checks the
// route's permission against the caller's role, and audits a refusal.
func (a *Admin) guard(r *route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if r.Permission == PermPublic {
			return c.Next()
		}
		p, err := a.authenticate(c)
		if err != nil {
			return err
		}
		c.Locals(principalKey, p)
		if !r.Permission.Allows(p.Role) {
			actor := actorOf(c, p)
			// Fail closed: a refusal nobody can see later is not answered
			// as one (the error, 503 when the audit log cannot be written,
			// is logged at the edge).
			if err := a.uc.AccessDenied.Execute(c.UserContext(), actor, string(p.Role), r.Method, r.Path, string(r.Permission)); err != nil {
				return err
			}
			return domain.Forbidden("your role (" + string(p.Role) + ") may not do this; it needs " + string(r.Permission))
		}
		return c.Next()
	}
}

// principal is the caller the guard authenticated.
func principal(c *fiber.Ctx) application.Principal {
	p, _ := c.Locals(principalKey).(application.Principal)
	return p
}

// actorOf is the audit actor of a request. fiber reuses its buffers after
// the handler returns, so the strings are copied: they end up in audit rows.
func actorOf(c *fiber.Ctx, p application.Principal) audit.Actor {
	a := p.Actor
	a.ClientIP = clientIP(c)
	a.UserAgent = userAgent(c)
	return a
}

// actor is actorOf for the authenticated caller.
func actor(c *fiber.Ctx) audit.Actor { return actorOf(c, principal(c)) }

// RequestActor is the audit actor of a request made by p, with the client
// address as the API reads it (trusted proxies), for the other modules on
// the app (the console).
func RequestActor(c *fiber.Ctx, p application.Principal) audit.Actor { return actorOf(c, p) }
