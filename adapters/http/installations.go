package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) installationRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/installations", Permission: PermRead, Tag: "investigation", Summary: "Who has an extension installed now (give exactly one of extension_id, publisher, pattern)", List: true,
			Query: []param{stringParam("extension_id", "publisher.name"), stringParam("publisher", ""), stringParam("pattern", "a blocklist-style pattern"),
				{Name: "pattern_type", Type: "string", Enum: []string{"exact", "publisher", "glob", "regex"}, Description: "how pattern reads; glob when absent"}, uuidParam("group_id", "")},
			Status: fiber.StatusOK, Response: "InstallationPage", handle: a.findInstallations},
	}
}

func (a *Admin) findInstallations(c *fiber.Ctx) error {
	q := query{c: c}
	in := application.InstallationQuery{ExtensionID: q.str("extension_id"), Publisher: q.str("publisher"), Pattern: q.str("pattern"),
		PatternType: q.str("pattern_type"), GroupID: q.id("group_id")}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.FindInstallations.Execute(c.UserContext(), in, page)
	return respond(c, p, err, func(p application.Page[application.Installation]) pageDoc[installationDoc] {
		return pageOf(p, installationDocOf)
	})
}

type installationDoc struct {
	AgentID     string    `json:"agent_id"`
	GroupID     string    `json:"group_id"`
	MachineID   string    `json:"machine_id"`
	DisplayName string    `json:"display_name"`
	ExtensionID string    `json:"extension_id"`
	Version     *string   `json:"version"`
	Editor      string    `json:"editor"`
	ReportedAt  time.Time `json:"reported_at"`
}

func installationDocOf(i application.Installation) installationDoc {
	return installationDoc{AgentID: i.AgentID.String(), GroupID: i.GroupID.String(), MachineID: i.MachineID, DisplayName: i.DisplayName,
		ExtensionID: i.ExtensionID, Version: optString(i.Version), Editor: i.Editor, ReportedAt: i.ReportedAt.UTC()}
}
