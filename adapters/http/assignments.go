package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) assignmentRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/extensions", Permission: PermRead, Tag: "assignments", Summary: "List a group's assignments", List: true, Status: fiber.StatusOK, Response: "AssignmentPage", handle: a.listAssignments},
		{Method: fiber.MethodPut, Path: "/api/v1/groups/{id}/extensions/{extension_uuid}", Permission: PermEditPolicy, Tag: "assignments", Summary: "Assign a catalog entry to a group", Body: "AssignmentPut", Status: fiber.StatusOK, Response: "Assignment", handle: a.putAssignment},
		{Method: fiber.MethodDelete, Path: "/api/v1/groups/{id}/extensions/{extension_uuid}", Permission: PermEditPolicy, Tag: "assignments", Summary: "Remove an assignment", Status: fiber.StatusNoContent, handle: a.removeAssignment},
	}
}

type assignmentPutRequest struct {
	IsRequired bool `json:"is_required"`
}

func (a *Admin) listAssignments(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.ListAssignments.Execute(c.UserContext(), id, page)
		return respond(c, p, err, func(p application.Page[application.Assignment]) pageDoc[assignmentDoc] {
			return pageOf(p, assignmentDocOf)
		})
	})
}

func (a *Admin) putAssignment(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		return withID(c, "extension_uuid", func(entryID domain.ID) error {
			var in assignmentPutRequest
			if err := decodeBody(c, &in); err != nil {
				return err
			}
			as, created, err := a.uc.PutAssignment.Execute(c.UserContext(), actor(c), groupID, entryID, in.IsRequired)
			if created { // a PUT that created its target; the row's 200 otherwise (RFC 9110 9.3.4)
				c.Status(fiber.StatusCreated)
			}
			return respond(c, as, err, assignmentDocOf)
		})
	})
}

func (a *Admin) removeAssignment(c *fiber.Ctx) error {
	return withID(c, "id", func(groupID domain.ID) error {
		return withID(c, "extension_uuid", func(entryID domain.ID) error {
			return noContent(c, a.uc.RemoveAssignment.Execute(c.UserContext(), actor(c), groupID, entryID))
		})
	})
}

type assignmentDoc struct {
	ID          string    `json:"id"`
	GroupID     string    `json:"group_id"`
	ExtensionID string    `json:"extension_id"` // the catalog entry's id, as in group_extensions
	IsRequired  bool      `json:"is_required"`
	AddedBy     *string   `json:"added_by"`
	CreatedAt   time.Time `json:"created_at"`
	// ExpiresAt: a time-limited approval's assignment, removed then by the
	// expiry pass (docs/requests.md); null: no end.
	ExpiresAt *time.Time   `json:"expires_at"`
	Extension extensionDoc `json:"extension"`
}

func assignmentDocOf(a application.Assignment) assignmentDoc {
	return assignmentDoc{ID: a.ID.String(), GroupID: a.GroupID.String(), ExtensionID: a.Entry.ID().String(),
		IsRequired: a.IsRequired, AddedBy: optID(a.AddedBy), CreatedAt: a.CreatedAt.UTC(),
		ExpiresAt: optTime(a.ExpiresAt), Extension: extensionDocOf(a.Entry)}
}
