package console

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// usersData is the users page: one page of users and, after a refusal,
// the new-user form as typed (never the password).
type usersData struct {
	listing[user.User]
	Form   application.NewUserInput
	Row    rowRefusal
	Cursor string // this page's: the row forms post it, so a refusal shows the same page
}

// Roles are the choices of the role selects.
func (usersData) Roles() []user.Role {
	return []user.Role{user.RoleViewer, user.RoleAuditor, user.RoleEditor, user.RoleAdmin}
}

func (k *Console) usersPage(c *fiber.Ctx, s *session, status int, v view) error {
	page, err := pageQuery(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListUsers.Execute(c.UserContext(), application.UserFilter{}, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	d, _ := v.Data.(usersData)
	d.listing = listingOf(c, p)
	d.Cursor = page.Cursor
	d.Row.place(&v, idsOf(p.Items, user.User.ID))
	v.Title, v.Nav, v.Session, v.Data = "Users", "users", s, d
	return k.pages.render(c, status, "users", v)
}

// createUser is POST /api/v1/users.
func (k *Console) createUser(c *fiber.Ctx, s *session) error {
	in := application.NewUserInput{Email: c.FormValue("email"), Password: c.FormValue("password"),
		DisplayName: c.FormValue("display_name"), Role: c.FormValue("role")}
	_, err := k.uc.CreateUser.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), in)
	if msg, fields, ok := fieldErrors(err); ok {
		in.Password = ""
		return k.usersPage(c, s, fiber.StatusBadRequest, view{Error: msg, Fields: fields, Data: usersData{Form: in}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/users", fiber.StatusSeeOther)
}

// updateUser is PATCH /api/v1/users/{id} with a role or an active flag,
// the rows' two forms.
func (k *Console) updateUser(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	var in application.UserChanges
	if r := c.FormValue("role"); r != "" {
		in.Role = &r
	}
	if c.FormValue("is_active") != "" {
		in.IsActive, err = flag(c, "is_active")
	}
	if err == nil {
		_, err = k.uc.UpdateUser.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), id, in)
	}
	if msg, fields, ok := fieldErrors(err); ok {
		return k.usersPage(c, s, httpapi.ProblemOf(err).Status, view{Data: usersData{Row: rowRefusal{ID: id, Error: rowError(msg, fields)}}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/users", fiber.StatusSeeOther)
}

// rowRefusal is a row form's refusal (a role change, an enable button),
// shown beside its row; their inputs are choices, so a field error there
// is rare and the message names the field.
type rowRefusal struct {
	ID    domain.ID
	Error string
}

// place moves the refusal above the list when its row is not on the page
// shown (the row was deleted meanwhile, say): never lost.
func (r rowRefusal) place(v *view, ids []domain.ID) {
	if r.ID.IsZero() || slices.Contains(ids, r.ID) {
		return
	}
	v.Error = r.Error
}

// rowError words a refused row form's message and field errors as one.
func rowError(msg string, fields map[string]string) string {
	for f, m := range fields {
		msg += " " + f + ": " + m + "."
	}
	return msg
}
