package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

const (
	// sessionCookie holds the session token the login use case issued: the
	// same opaque token as the API's, stored only as its hash.
	sessionCookie = "extguard_session"
	// loginCookie is the login form's double-submit CSRF token (there is no
	// session yet to derive one from).
	loginCookie = "extguard_login"
	csrfField   = "csrf"
	csrfHeader  = "X-CSRF-Token"
)

// session is a signed-in console user.
type session struct {
	principal application.Principal
	token     string
}

// csrf is the session's CSRF token: an HMAC of a fixed label keyed with the
// session token, so it is unguessable without the HttpOnly cookie, needs
// no storage, and dies with the session.
func (s *session) csrf() string { return csrfOf(s.token) }

func csrfOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("extguard console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF checks the token of a state change: a form field or, for
// htmx requests, a header.
func (s *session) validCSRF(c *fiber.Ctx) bool {
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf())) == 1
}

// signedIn authenticates the session cookie with the API's use case, so
// lifetime, logout and deactivation are the API's rules.
func (k *Console) signedIn(c *fiber.Ctx) (*session, error) {
	token := c.Cookies(sessionCookie)
	if !application.IsSessionToken(token) {
		return nil, domain.Unauthorized("no session")
	}
	token = strings.Clone(token)
	p, err := k.uc.AuthenticateSession.Execute(c.UserContext(), token)
	if err != nil {
		return nil, err
	}
	return &session{principal: p, token: token}, nil
}

// toLogin sends a visitor without a session to the login page, remembering
// a page it asked for.
func (k *Console) toLogin(c *fiber.Ctx) error {
	target := Prefix + "/login"
	if c.Method() == fiber.MethodGet {
		target += "?next=" + url.QueryEscape(string(c.Request().URI().RequestURI()))
	}
	if c.Get("HX-Request") != "" {
		c.Set("HX-Redirect", target)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

// cookie builds a console cookie: HttpOnly, SameSite=Strict, Path=/, and
// Secure whenever the request came over TLS (itself or, from a trusted
// proxy, X-Forwarded-Proto: fiber believes it only from those).
func cookie(c *fiber.Ctx, name, value string, expires time.Time) *fiber.Cookie {
	return &fiber.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Protocol() == "https"}
}

type loginView struct {
	Email, Next, CSRF, Error string
}

func (k *Console) loginForm(c *fiber.Ctx) error {
	return k.showLogin(c, fiber.StatusOK, loginView{Next: safeNext(c.Query("next"))})
}

// showLogin renders the form with a fresh double-submit token.
func (k *Console) showLogin(c *fiber.Ctx, status int, v loginView) error {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v.CSRF = base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(cookie(c, loginCookie, v.CSRF, time.Time{}))
	return k.pages.render(c, status, "login", view{Title: "Sign in", Data: v})
}

func (k *Console) login(c *fiber.Ctx) error {
	v := loginView{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next"))}
	want, got := c.Cookies(loginCookie), c.FormValue(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		v.Error = "The form expired: please sign in again."
		return k.showLogin(c, fiber.StatusForbidden, v)
	}
	client := httpapi.RequestActor(c, application.Principal{Actor: audit.Actor{Type: audit.ActorUser}})
	res, err := k.uc.Login.Execute(c.UserContext(), v.Email, c.FormValue("password"), client)
	if err != nil {
		p := httpapi.ProblemOf(httpapi.WithRetryAfter(c, err))
		v.Error = p.Detail
		if p.Status == fiber.StatusUnauthorized || v.Error == "" {
			v.Error = "Wrong email or password."
		}
		return k.showLogin(c, p.Status, v)
	}
	c.Cookie(cookie(c, sessionCookie, res.Token, res.ExpiresAt))
	c.Cookie(cookie(c, loginCookie, "", time.Unix(1, 0)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(v.Next, fiber.StatusSeeOther)
}

func (k *Console) logout(c *fiber.Ctx, s *session) error {
	p := s.principal
	p.Actor = httpapi.RequestActor(c, p)
	if err := k.uc.Logout.Execute(c.UserContext(), p); err != nil {
		return k.fail(c, s, err)
	}
	c.Cookie(cookie(c, sessionCookie, "", time.Unix(1, 0)))
	return c.Redirect(Prefix+"/login", fiber.StatusSeeOther)
}

// safeNext keeps a post-login redirect on the console: a path below it,
// never another host ("//evil", "/\evil").
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix+"/") || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return Prefix + "/"
	}
	return next
}
