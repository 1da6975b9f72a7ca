package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) authRoutes() []route {
	return []route{
		{Method: fiber.MethodPost, Path: "/api/v1/auth/login", Permission: PermPublic, Tag: "auth", Summary: "Log in with email and password", Body: "LoginRequest", Status: fiber.StatusOK, Response: "Session", handle: a.login},
		{Method: fiber.MethodPost, Path: "/api/v1/auth/logout", Permission: PermSession, Tag: "auth", Summary: "End the caller's session", Status: fiber.StatusNoContent, handle: a.logout},
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *Admin) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	res, err := a.uc.Login.Execute(c.UserContext(), in.Email, in.Password, actorOf(c, application.Principal{Actor: audit.Actor{Type: audit.ActorUser}}))
	if err != nil {
		return withRetryAfter(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(sessionDoc{Token: res.Token, ExpiresAt: res.ExpiresAt.UTC(), User: userDocOf(res.User)})
}

func (a *Admin) logout(c *fiber.Ctx) error {
	p := principal(c)
	p.Actor = actor(c)
	if err := a.uc.Logout.Execute(c.UserContext(), p); err != nil {
		return err
	}
	return nil // the row's 204
}

type sessionDoc struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userDoc   `json:"user"`
}
