package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

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
	return c.SendStatus(fiber.StatusNoContent)
}

type userCreateRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
}

type userPatchRequest struct {
	Email       *string `json:"email"`
	Password    *string `json:"password"`
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	IsActive    *bool   `json:"is_active"`
}

func (a *Admin) listUsers(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.UserFilter{IsActive: q.boolean("is_active"), Email: q.str("email")}
	if r := q.str("role"); r != "" {
		role, err := user.ParseRole(r)
		q.fe.Include("", err)
		f.Role = role
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListUsers.Execute(c.UserContext(), f, page)
	if err != nil {
		return err
	}
	return c.JSON(pageOf(p, userDocOf))
}

func (a *Admin) createUser(c *fiber.Ctx) error {
	var in userCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := a.uc.CreateUser.Execute(c.UserContext(), actor(c), application.NewUserInput{Email: in.Email, Password: in.Password,
		DisplayName: in.DisplayName, Role: in.Role})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(userDocOf(u))
}

func (a *Admin) getUser(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := a.uc.GetUser.Execute(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(userDocOf(u))
}

func (a *Admin) updateUser(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in userPatchRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := a.uc.UpdateUser.Execute(c.UserContext(), actor(c), id, application.UserChanges{Email: in.Email, Password: in.Password,
		DisplayName: in.DisplayName, Role: in.Role, IsActive: in.IsActive})
	if err != nil {
		return err
	}
	return c.JSON(userDocOf(u))
}

func (a *Admin) deleteUser(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.uc.DeleteUser.Execute(c.UserContext(), actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
