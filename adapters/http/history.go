package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// The time-travel routes read the report history (one row per change);
// "who has X now" stays /installations, on the current inventory.
func (a *Admin) historyRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/agents/{id}/inventory", Permission: PermRead, Tag: "investigation",
			Summary: "An agent's inventory as it was at an instant", List: true,
			Query:  []param{timeParam("at", "the instant (RFC 3339); now when absent")},
			Status: fiber.StatusOK, Response: "HistoricInventoryPage", handle: a.inventoryAt},
		{Method: fiber.MethodGet, Path: "/api/v1/exposure", Permission: PermRead, Tag: "investigation",
			Summary: "Every agent that had an extension installed at any moment of a window (give exactly one of extension_id, publisher)", List: true,
			Query: []param{stringParam("extension_id", "publisher.name"), stringParam("publisher", ""),
				stringParam("version", "only this version (with extension_id)"),
				timeParam("since", "window start, inclusive; the start of the history when absent"),
				timeParam("until", "window end, inclusive; now when absent")},
			Status: fiber.StatusOK, Response: "ExposurePage", handle: a.findExposure},
	}
}

func (a *Admin) inventoryAt(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		q := query{c: c}
		at, page := q.time("at"), q.page()
		if err := q.err(); err != nil {
			return err
		}
		p, err := a.uc.InventoryAt.Execute(c.UserContext(), id, at, page)
		return respond(c, p, err, func(p application.Page[application.HistoricItem]) pageDoc[historicItemDoc] {
			return pageOf(p, historicItemDocOf)
		})
	})
}

func (a *Admin) findExposure(c *fiber.Ctx) error {
	q := query{c: c}
	in := application.ExposureQuery{ExtensionID: q.str("extension_id"), Publisher: q.str("publisher"), Version: q.str("version"),
		Since: q.time("since"), Until: q.time("until")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.FindExposure.Execute(c.UserContext(), in, page)
	return respond(c, p, err, func(p application.Page[application.Exposure]) pageDoc[exposureDoc] { return pageOf(p, exposureDocOf) })
}

type historicItemDoc struct {
	Editor      string    `json:"editor"`
	ExtensionID string    `json:"extension_id"`
	Version     *string   `json:"version"`
	SHA256      *string   `json:"extension_sha256"`
	Since       time.Time `json:"since"` // when the agent reported it in this state
}

func historicItemDocOf(i application.HistoricItem) historicItemDoc {
	return historicItemDoc{Editor: i.Editor, ExtensionID: i.ExtensionID, Version: optString(i.Version), SHA256: optString(i.SHA256),
		Since: i.Since.UTC()}
}

type exposureDoc struct {
	AgentID        string    `json:"agent_id"`
	GroupID        string    `json:"group_id"`
	MachineID      string    `json:"machine_id"`
	DisplayName    string    `json:"display_name"`
	ExtensionID    string    `json:"extension_id"`
	Versions       []string  `json:"versions"`
	Editors        []string  `json:"editors"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	StillInstalled bool      `json:"still_installed"` // installed at the window's end; last_seen is then that end
}

func exposureDocOf(e application.Exposure) exposureDoc {
	return exposureDoc{AgentID: e.AgentID.String(), GroupID: e.GroupID.String(), MachineID: e.MachineID, DisplayName: e.DisplayName,
		ExtensionID: e.ExtensionID, Versions: e.Versions, Editors: e.Editors, FirstSeen: e.FirstSeen.UTC(), LastSeen: e.LastSeen.UTC(),
		StillInstalled: e.StillInstalled}
}
