package httpapi

import (
	"encoding/json"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) groupRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups", Permission: PermRead, Tag: "groups", Summary: "List groups", List: true,
			Query: []param{stringParam("name", "exact, case-insensitive")}, Status: fiber.StatusOK, Response: "GroupPage", handle: a.listGroups},
		{Method: fiber.MethodPost, Path: "/api/v1/groups", Permission: PermEditPolicy, Tag: "groups", Summary: "Create a group", Body: "GroupCreate", Status: fiber.StatusCreated, Response: "Group", handle: a.createGroup},
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}", Permission: PermRead, Tag: "groups", Summary: "Read a group", Status: fiber.StatusOK, Response: "Group", handle: a.getGroup},
		{Method: fiber.MethodPatch, Path: "/api/v1/groups/{id}", Permission: PermEditPolicy, Tag: "groups", Summary: "Change a group (settings are merged key by key)", Body: "GroupPatch", Status: fiber.StatusOK, Response: "Group", handle: a.updateGroup},
		{Method: fiber.MethodDelete, Path: "/api/v1/groups/{id}", Permission: PermEditPolicy, Tag: "groups", Summary: "Delete a group without enrolled agents", Status: fiber.StatusNoContent, handle: a.deleteGroup},
	}
}

type groupCreateRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Settings    json.RawMessage `json:"settings"`
}

type groupPatchRequest struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Settings    json.RawMessage `json:"settings"`
}

func (a *Admin) listGroups(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.GroupFilter{Name: q.str("name")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListGroups.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[group.Group]) pageDoc[groupDoc] { return pageOf(p, groupDocOf) })
}

func (a *Admin) createGroup(c *fiber.Ctx) error {
	var in groupCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	g, err := a.uc.CreateGroup.Execute(c.UserContext(), actor(c), application.NewGroupInput{Name: in.Name, Description: in.Description, Settings: in.Settings})
	return respond(c, g, err, groupDocOf)
}

func (a *Admin) getGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		g, err := a.uc.GetGroup.Execute(c.UserContext(), id)
		return respond(c, g, err, groupDocOf)
	})
}

func (a *Admin) updateGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in groupPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		g, err := a.uc.UpdateGroup.Execute(c.UserContext(), actor(c), id, application.GroupChanges{Name: in.Name, Description: in.Description, Settings: in.Settings})
		return respond(c, g, err, groupDocOf)
	})
}

func (a *Admin) deleteGroup(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error { return noContent(c, a.uc.DeleteGroup.Execute(c.UserContext(), actor(c), id)) })
}

type groupDoc struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Settings    group.Settings `json:"settings"` // defaults filled in
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

func groupDocOf(g group.Group) groupDoc {
	return groupDoc{ID: g.ID().String(), Name: g.Name(), Description: g.Description(), Settings: g.Settings(),
		CreatedAt: g.CreatedAt().UTC(), UpdatedAt: g.UpdatedAt().UTC()}
}
