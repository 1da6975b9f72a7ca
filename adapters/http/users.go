package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/user"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) userRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/users", Permission: PermReadUsers, Tag: "users", Summary: "List users", List: true,
			Query:  []param{{Name: "role", Type: "string", Enum: []string{"admin", "editor", "auditor", "viewer"}}, boolParam("is_active", ""), stringParam("email", "exact, case-insensitive")},
			Status: fiber.StatusOK, Response: "UserPage", handle: a.listUsers},
		{Method: fiber.MethodPost, Path: "/api/v1/users", Permission: PermManageUsers, Tag: "users", Summary: "Create a user", Body: "UserCreate", Status: fiber.StatusCreated, Response: "User", handle: a.createUser},
		{Method: fiber.MethodGet, Path: "/api/v1/users/{id}", Permission: PermReadUsers, Tag: "users", Summary: "Read a user", Status: fiber.StatusOK, Response: "User", handle: a.getUser},
		{Method: fiber.MethodPatch, Path: "/api/v1/users/{id}", Permission: PermManageUsers, Tag: "users", Summary: "Change a user", Body: "UserPatch", Status: fiber.StatusOK, Response: "User", handle: a.updateUser},
		{Method: fiber.MethodDelete, Path: "/api/v1/users/{id}", Permission: PermManageUsers, Tag: "users", Summary: "Delete a user", Status: fiber.StatusNoContent, handle: a.deleteUser},
	}
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
	return c.JSON(userDocOf(u))
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
	return nil // the row's 204
}

type userDoc struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	IsActive    bool       `json:"is_active"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func userDocOf(u user.User) userDoc {
	return userDoc{ID: u.ID().String(), Email: u.Email(), DisplayName: u.DisplayName(), Role: string(u.Role()),
		IsActive: u.IsActive(), LastLoginAt: optTime(u.LastLoginAt()), CreatedAt: u.CreatedAt().UTC(), UpdatedAt: u.UpdatedAt().UTC()}
}
