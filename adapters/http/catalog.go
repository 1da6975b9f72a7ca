package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) catalogRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/extensions", Permission: PermRead, Tag: "catalog", Summary: "List the catalog", List: true,
			Query: []param{stringParam("extension_id", "publisher.name"), stringParam("publisher", ""), boolParam("is_blocked", "")}, Status: fiber.StatusOK, Response: "ExtensionPage", handle: a.listCatalog},
		{Method: fiber.MethodPost, Path: "/api/v1/extensions", Permission: PermEditPolicy, Tag: "catalog", Summary: "Add a catalog entry", Body: "ExtensionCreate", Status: fiber.StatusCreated, Response: "Extension", handle: a.createCatalogEntry},
		{Method: fiber.MethodGet, Path: "/api/v1/extensions/{id}", Permission: PermRead, Tag: "catalog", Summary: "Read a catalog entry", Status: fiber.StatusOK, Response: "Extension", handle: a.getCatalogEntry},
		{Method: fiber.MethodPatch, Path: "/api/v1/extensions/{id}", Permission: PermEditPolicy, Tag: "catalog", Summary: "Change a catalog entry", Body: "ExtensionPatch", Status: fiber.StatusOK, Response: "Extension", handle: a.updateCatalogEntry},
		{Method: fiber.MethodDelete, Path: "/api/v1/extensions/{id}", Permission: PermEditPolicy, Tag: "catalog", Summary: "Delete a catalog entry and its assignments", Status: fiber.StatusNoContent, handle: a.deleteCatalogEntry},
		{Method: fiber.MethodPost, Path: "/api/v1/extensions/{id}/revalidate", Permission: PermEditPolicy, Tag: "catalog", Summary: "Queue a checksum revalidation", Status: fiber.StatusAccepted, Response: "Accepted", handle: a.revalidate},
	}
}

type extensionCreateRequest struct {
	ExtensionID    string `json:"extension_id"`
	Name           string `json:"name"`
	Publisher      string `json:"publisher"`
	PinnedVersion  string `json:"pinned_version"`
	SHA256Checksum string `json:"sha256_checksum"`
	MarketplaceURL string `json:"marketplace_url"`
	IsBlocked      bool   `json:"is_blocked"`
	BlockReason    string `json:"block_reason"`
}

type extensionPatchRequest struct {
	ExtensionID    *string `json:"extension_id"`
	Name           *string `json:"name"`
	PinnedVersion  *string `json:"pinned_version"`
	SHA256Checksum *string `json:"sha256_checksum"`
	MarketplaceURL *string `json:"marketplace_url"`
	IsBlocked      *bool   `json:"is_blocked"`
	BlockReason    *string `json:"block_reason"`
}

func (a *Admin) listCatalog(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.CatalogFilter{IsBlocked: q.boolean("is_blocked")}
	f.ExtensionID = q.extensionID()
	if s := q.str("publisher"); s != "" {
		p, err := extension.ParsePublisher(s)
		q.fe.Include("", err)
		f.Publisher = p
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListCatalog.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[extension.Entry]) pageDoc[extensionDoc] { return pageOf(p, extensionDocOf) })
}

func (a *Admin) createCatalogEntry(c *fiber.Ctx) error {
	var in extensionCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateCatalogEntry.Execute(c.UserContext(), actor(c), application.NewCatalogEntryInput{ExtensionID: in.ExtensionID,
		Name: in.Name, Publisher: in.Publisher, PinnedVersion: in.PinnedVersion, SHA256: in.SHA256Checksum,
		MarketplaceURL: in.MarketplaceURL, IsBlocked: in.IsBlocked, BlockReason: in.BlockReason})
	return respond(c, e, err, extensionDocOf)
}

func (a *Admin) getCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetCatalogEntry.Execute(c.UserContext(), id)
		return respond(c, e, err, extensionDocOf)
	})
}

func (a *Admin) updateCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in extensionPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateCatalogEntry.Execute(c.UserContext(), actor(c), id, application.CatalogEntryChanges{ExtensionID: in.ExtensionID,
			Name: in.Name, PinnedVersion: in.PinnedVersion, SHA256: in.SHA256Checksum, MarketplaceURL: in.MarketplaceURL,
			IsBlocked: in.IsBlocked, BlockReason: in.BlockReason})
		return respond(c, e, err, extensionDocOf)
	})
}

func (a *Admin) deleteCatalogEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteCatalogEntry.Execute(c.UserContext(), actor(c), id))
	})
}

func (a *Admin) revalidate(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		if err := a.uc.RequestRevalidation.Execute(c.UserContext(), actor(c), id); err != nil {
			return err
		}
		return c.JSON(accepted)
	})
}

type extensionDoc struct {
	ID             string     `json:"id"`
	ExtensionID    string     `json:"extension_id"`
	Name           string     `json:"name"`
	Publisher      string     `json:"publisher"`
	PinnedVersion  *string    `json:"pinned_version"`
	SHA256Checksum *string    `json:"sha256_checksum"`
	MarketplaceURL *string    `json:"marketplace_url"`
	IsBlocked      bool       `json:"is_blocked"`
	BlockReason    string     `json:"block_reason"`
	ContentSHA256  *string    `json:"content_sha256"`
	RevalidatedAt  *time.Time `json:"revalidated_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func extensionDocOf(e extension.Entry) extensionDoc {
	return extensionDoc{ID: e.ID().String(), ExtensionID: e.ExtensionID().String(), Name: e.Name(), Publisher: e.Publisher(),
		PinnedVersion: optString(e.PinnedVersion()), SHA256Checksum: optString(e.SHA256()), MarketplaceURL: optString(e.MarketplaceURL()),
		IsBlocked: e.IsBlocked(), BlockReason: e.BlockReason(), ContentSHA256: optString(e.ContentSHA256()),
		RevalidatedAt: optTime(e.RevalidatedAt()), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
}
