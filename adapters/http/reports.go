package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) reportRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/reports", Permission: PermRead, Tag: "reports", Summary: "Report history, newest first", List: true,
			Query:  []param{uuidParam("agent_id", ""), uuidParam("group_id", ""), stringParam("extension_id", "publisher.name"), sinceParam, untilParam},
			Status: fiber.StatusOK, Response: "ReportPage", handle: a.listReports},
	}
}

func (a *Admin) listReports(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.ReportFilter{AgentID: q.id("agent_id"), GroupID: q.id("group_id"), Since: q.time("since"), Until: q.time("until")}
	f.ExtensionID = q.extensionID()
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListReports.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[application.ReportRecord]) pageDoc[reportDoc] { return pageOf(p, reportDocOf) })
}

type reportDoc struct {
	ID               string    `json:"id"`
	AgentID          string    `json:"agent_id"`
	GroupID          string    `json:"group_id"`
	ExtensionID      string    `json:"extension_id"`
	UserHash         string    `json:"user_hash"`
	Installed        bool      `json:"installed"`
	InstalledVersion *string   `json:"installed_version"`
	ExtensionSHA256  *string   `json:"extension_sha256"`
	Editor           string    `json:"editor"`
	ClientIP         *string   `json:"client_ip"`
	ReportedAt       time.Time `json:"reported_at"`
}

func reportDocOf(r application.ReportRecord) reportDoc {
	return reportDoc{ID: r.ID.String(), AgentID: r.AgentID.String(), GroupID: r.GroupID.String(), ExtensionID: r.ExtensionID,
		UserHash: r.UserHash, Installed: r.Installed, InstalledVersion: optString(r.InstalledVersion),
		ExtensionSHA256: optString(r.ExtensionSHA256), Editor: r.Editor, ClientIP: optString(r.ClientIP), ReportedAt: r.ReportedAt.UTC()}
}
