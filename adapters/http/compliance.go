package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) complianceRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/compliance", Permission: PermRead, Tag: "compliance", Summary: "A group's compliance now", Status: fiber.StatusOK, Response: "Compliance", handle: a.groupCompliance},
		{Method: fiber.MethodGet, Path: "/api/v1/compliance", Permission: PermRead, Tag: "compliance", Summary: "Fleet-wide compliance now", Status: fiber.StatusOK, Response: "Compliance", handle: a.fleetCompliance},
	}
}

func (a *Admin) groupCompliance(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		s, err := a.uc.GroupCompliance.Execute(c.UserContext(), id)
		return respond(c, s, err, complianceDocOf)
	})
}

func (a *Admin) fleetCompliance(c *fiber.Ctx) error {
	s, err := a.uc.FleetCompliance.Execute(c.UserContext())
	return respond(c, s, err, complianceDocOf)
}

type complianceDoc struct {
	GroupID          *string        `json:"group_id"` // null fleet-wide
	Agents           int            `json:"agents"`   // not decommissioned
	AgentsByStatus   map[string]int `json:"agents_by_status"`
	Compliant        int            `json:"compliant"`
	NonCompliant     int            `json:"non_compliant"`
	NotReported      int            `json:"not_reported"`
	ViolationsByKind []kindCountDoc `json:"violations_by_kind"`
	TopOffenders     []offenderDoc  `json:"top_offenders"`
	GeneratedAt      time.Time      `json:"generated_at"`
}

type kindCountDoc struct {
	Kind       string `json:"kind"`
	Violations int    `json:"violations"`
	Agents     int    `json:"agents"`
}

type offenderDoc struct {
	ExtensionID string `json:"extension_id"`
	Agents      int    `json:"agents"`
}

func complianceDocOf(s application.ComplianceSummary) complianceDoc {
	out := complianceDoc{GroupID: optID(s.GroupID), Agents: s.Agents, AgentsByStatus: map[string]int{}, Compliant: s.Compliant,
		NonCompliant: s.NonCompliant, NotReported: s.NotReported, ViolationsByKind: []kindCountDoc{}, TopOffenders: []offenderDoc{},
		GeneratedAt: time.Now().UTC()}
	for st, n := range s.AgentsByStatus {
		out.AgentsByStatus[string(st)] = n
	}
	for _, k := range s.ViolationsByKind {
		out.ViolationsByKind = append(out.ViolationsByKind, kindCountDoc{k.Kind, k.Violations, k.Agents})
	}
	for _, o := range s.TopOffenders {
		out.TopOffenders = append(out.TopOffenders, offenderDoc{o.ExtensionID, o.Agents})
	}
	return out
}
