package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

func (a *Admin) capabilityRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/extensions/{id}/capabilities", Permission: PermRead, Tag: "catalog", Summary: "What the entry's pinned package can do, and what its version added", Status: fiber.StatusOK, Response: "ExtensionCapabilities", handle: a.getCapabilities},
	}
}

type capabilitiesDoc struct {
	Version         string                 `json:"version"`
	Capabilities    extension.Capabilities `json:"capabilities"`
	PreviousVersion *string                `json:"previous_version"`
	Added           []string               `json:"added"`
	RecordedAt      time.Time              `json:"recorded_at"`
}

func capabilitiesDocOf(r application.RecordedCapabilities) capabilitiesDoc {
	added := r.Added
	if added == nil {
		added = []string{}
	}
	return capabilitiesDoc{Version: r.Version, Capabilities: r.Capabilities, PreviousVersion: optString(r.PreviousVersion),
		Added: added, RecordedAt: r.RecordedAt.UTC()}
}

func (a *Admin) getCapabilities(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		r, err := a.uc.GetCatalogCapabilities.Execute(c.UserContext(), id)
		return respond(c, r, err, capabilitiesDocOf)
	})
}
