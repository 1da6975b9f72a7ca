package console

import (
	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// assignmentForm is the group page's "Assign" form after a refusal.
type assignmentForm struct {
	ExtensionID string
	Required    bool
}

// putAssignment is PUT /api/v1/groups/{id}/extensions/{extension_uuid}:
// the form names the catalog entry by its extension id (what people know)
// and the console finds its uuid; the rows' "make required/allowed" buttons
// post here too.
func (k *Console) putAssignment(c *fiber.Ctx, s *session) error {
	groupID, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	f := assignmentForm{ExtensionID: c.FormValue("extension_id"), Required: c.FormValue("requirement") == "required"}
	entry, err := k.catalogEntry(c, f.ExtensionID)
	if err == nil {
		_, _, err = k.uc.PutAssignment.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), groupID, entry, f.Required)
	}
	if msg, fields, ok := fieldErrors(err); ok {
		return k.groupPage(c, s, groupID, fiber.StatusBadRequest, view{Error: msg, Fields: fields, Data: groupData{Assign: f}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/groups/"+groupID.String(), fiber.StatusSeeOther)
}

// catalogEntry finds the catalog entry of an extension id; an id that is
// malformed or not in the catalog is a field error of extension_id.
func (k *Console) catalogEntry(c *fiber.Ctx, raw string) (domain.ID, error) {
	id, err := extension.ParseExtensionID(raw)
	if err != nil {
		return domain.NilID, err
	}
	p, err := k.uc.ListCatalog.Execute(c.UserContext(), application.CatalogFilter{ExtensionID: id}, application.PageRequest{Limit: 1})
	if err != nil {
		return domain.NilID, err
	}
	if len(p.Items) == 0 {
		var fe domain.FieldErrors
		fe.Add("extension_id", "is not in the catalog: add it on the catalog first")
		return domain.NilID, fe.Err("the extension is not in the catalog")
	}
	return p.Items[0].ID(), nil
}

// removeAssignment is DELETE /api/v1/groups/{id}/extensions/{extension_uuid}.
func (k *Console) removeAssignment(c *fiber.Ctx, s *session) error {
	groupID, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	entryID, err := domain.ParseID(c.Params("entry"))
	if err != nil {
		return k.fail(c, s, domain.NotFound("no such assignment"))
	}
	if err := k.uc.RemoveAssignment.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), groupID, entryID); err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/groups/"+groupID.String(), fiber.StatusSeeOther)
}

// pinForm is a row's pinned-version input after a refusal.
type pinForm struct {
	EntryID domain.ID
	Version string
}

// pinVersion is PATCH /api/v1/extensions/{id} with pinned_version (blank
// unpins): the version is the catalog entry's, so it holds in every group
// that assigns it, as the page says.
func (k *Console) pinVersion(c *fiber.Ctx, s *session) error {
	groupID, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	entryID, err := domain.ParseID(c.Params("entry"))
	if err != nil {
		return k.fail(c, s, domain.NotFound("no such catalog entry"))
	}
	version := c.FormValue("pinned_version")
	_, err = k.uc.UpdateCatalogEntry.Execute(c.UserContext(), httpapi.RequestActor(c, s.principal), entryID,
		application.CatalogEntryChanges{PinnedVersion: &version})
	if msg, fields, ok := fieldErrors(err); ok {
		return k.groupPage(c, s, groupID, fiber.StatusBadRequest, view{Error: msg, Fields: fields,
			Data: groupData{Pin: pinForm{EntryID: entryID, Version: version}}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return c.Redirect(Prefix+"/groups/"+groupID.String(), fiber.StatusSeeOther)
}
