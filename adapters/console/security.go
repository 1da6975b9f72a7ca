package console

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy allows nothing but the console's own scripts,
// styles and forms: no inline script or style, no other origin, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders are on every console answer, the login page and the
// assets included.
func securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	return c.Next()
}

// refuseCrossSite refuses a state-changing request that a browser says
// came from another site, before any cookie is looked at: Sec-Fetch-Site
// other than same-origin, or an Origin that is not this server's. A
// request with neither header (not a current browser) still needs the
// CSRF token the guard checks.
func refuseCrossSite(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return crossSiteRefused(c)
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !sameOrigin(c, origin) {
		return crossSiteRefused(c)
	}
	return c.Next()
}

// sameOrigin compares an Origin header with the scheme and host this
// request was made to (as a trusted proxy reports them).
func sameOrigin(c *fiber.Ctx, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" || u.User != nil {
		return false
	}
	return u.Scheme == c.Protocol() && u.Host == c.Hostname()
}

func crossSiteRefused(c *fiber.Ctx) error {
	c.Status(fiber.StatusForbidden)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString("refused: a cross-site request may not change anything here\n")
}
