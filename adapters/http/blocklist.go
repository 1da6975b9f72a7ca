package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) blocklistRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/blocklist", Permission: PermRead, Tag: "blocklist", Summary: "List the blocklist", List: true,
			Query: []param{{Name: "pattern_type", Type: "string", Enum: []string{"exact", "publisher", "glob", "regex"}}, boolParam("is_active", "")}, Status: fiber.StatusOK, Response: "BlocklistPage", handle: a.listBlocklist},
		{Method: fiber.MethodPost, Path: "/api/v1/blocklist", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Add a blocklist entry", Body: "BlocklistCreate", Status: fiber.StatusCreated, Response: "BlocklistEntry", handle: a.createBlocklistEntry},
		// A POST only because the body is an entry; it reads, so it needs
		// what reading the blocklist and installations needs, and writes nothing.
		{Method: fiber.MethodPost, Path: "/api/v1/blocklist/impact", Permission: PermRead, Tag: "blocklist",
			Summary: "What a blocklist entry would block now, per group and enforcement (writes nothing; read permission)",
			Body:    "BlocklistCreate", Status: fiber.StatusOK, Response: "BlocklistImpact", handle: a.previewBlocklistImpact},
		{Method: fiber.MethodGet, Path: "/api/v1/blocklist/{id}", Permission: PermRead, Tag: "blocklist", Summary: "Read a blocklist entry", Status: fiber.StatusOK, Response: "BlocklistEntry", handle: a.getBlocklistEntry},
		{Method: fiber.MethodPatch, Path: "/api/v1/blocklist/{id}", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Change a blocklist entry", Body: "BlocklistPatch", Status: fiber.StatusOK, Response: "BlocklistEntry", handle: a.updateBlocklistEntry},
		{Method: fiber.MethodDelete, Path: "/api/v1/blocklist/{id}", Permission: PermEditPolicy, Tag: "blocklist", Summary: "Delete a blocklist entry", Status: fiber.StatusNoContent, handle: a.deleteBlocklistEntry},
	}
}

type blocklistCreateRequest struct {
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
	IsActive    *bool  `json:"is_active"`
}

type blocklistPatchRequest struct {
	PatternType *string `json:"pattern_type"`
	Pattern     *string `json:"pattern"`
	Reason      *string `json:"reason"`
	IsActive    *bool   `json:"is_active"`
}

func (a *Admin) listBlocklist(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.BlocklistFilter{IsActive: q.boolean("is_active")}
	if s := q.str("pattern_type"); s != "" {
		t, err := blocklist.ParsePatternType(s)
		q.fe.Include("", err)
		f.PatternType = t
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListBlocklist.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[blocklist.Entry]) pageDoc[blocklistDoc] { return pageOf(p, blocklistDocOf) })
}

func (a *Admin) createBlocklistEntry(c *fiber.Ctx) error {
	var in blocklistCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	e, err := a.uc.CreateBlocklistEntry.Execute(c.UserContext(), actor(c), application.NewBlocklistInput{PatternType: in.PatternType,
		Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
	return respond(c, e, err, blocklistDocOf)
}

func (a *Admin) previewBlocklistImpact(c *fiber.Ctx) error {
	var in blocklistCreateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	im, err := a.uc.PreviewBlocklistImpact.Execute(c.UserContext(), application.NewBlocklistInput{PatternType: in.PatternType,
		Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
	return respond(c, im, err, impactDocOf)
}

func (a *Admin) getBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		e, err := a.uc.GetBlocklistEntry.Execute(c.UserContext(), id)
		return respond(c, e, err, blocklistDocOf)
	})
}

func (a *Admin) updateBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in blocklistPatchRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		e, err := a.uc.UpdateBlocklistEntry.Execute(c.UserContext(), actor(c), id, application.BlocklistChanges{PatternType: in.PatternType,
			Pattern: in.Pattern, Reason: in.Reason, IsActive: in.IsActive})
		return respond(c, e, err, blocklistDocOf)
	})
}

func (a *Admin) deleteBlocklistEntry(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DeleteBlocklistEntry.Execute(c.UserContext(), actor(c), id))
	})
}

type blocklistDoc struct {
	ID          string    `json:"id"`
	PatternType string    `json:"pattern_type"`
	Pattern     string    `json:"pattern"`
	Reason      string    `json:"reason"`
	CreatedBy   *string   `json:"created_by"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func blocklistDocOf(e blocklist.Entry) blocklistDoc {
	return blocklistDoc{ID: e.ID().String(), PatternType: string(e.PatternType()), Pattern: e.Pattern().String(),
		Reason: e.Reason(), CreatedBy: optID(e.CreatedBy()), IsActive: e.IsActive(), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
}
