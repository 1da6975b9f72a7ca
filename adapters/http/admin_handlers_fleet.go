package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

func (a *Admin) listAgents(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.AgentFilter{GroupID: q.id("group_id"), Platform: q.str("platform")}
	if s := q.str("status"); s != "" {
		st, err := agent.ParseStatus(s)
		q.fe.Include("", err)
		f.Status = st
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListAgents.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[agent.Agent]) pageDoc[agentDoc] { return pageOf(p, agentDocOf) })
}

func (a *Admin) getAgent(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		d, err := a.uc.GetAgent.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, d, err, agentDetailDocOf)
	})
}

func (a *Admin) decommissionAgent(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DecommissionAgent.Execute(c.UserContext(), actor(c), id))
	})
}

func (a *Admin) listReports(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.ReportFilter{AgentID: q.id("agent_id"), GroupID: q.id("group_id"), Since: q.time("since"), Until: q.time("until")}
	if s := q.str("extension_id"); s != "" {
		id, err := extension.ParseExtensionID(s)
		q.fe.Include("", err)
		f.ExtensionID = id
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListReports.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[application.ReportRecord]) pageDoc[reportDoc] { return pageOf(p, reportDocOf) })
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
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[application.Installation]) pageDoc[installationDoc] {
		return pageOf(p, installationDocOf)
	})
}

func (a *Admin) groupCompliance(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		s, err := a.uc.GroupCompliance.Execute(c.UserContext(), id)
		return respond(c, fiber.StatusOK, s, err, complianceDocOf)
	})
}

func (a *Admin) fleetCompliance(c *fiber.Ctx) error {
	s, err := a.uc.FleetCompliance.Execute(c.UserContext())
	return respond(c, fiber.StatusOK, s, err, complianceDocOf)
}

func (a *Admin) groupPolicy(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		p, err := a.uc.ViewGroupPolicy.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderETag, p.ETag)
		return c.JSON(policyDocument(application.CompiledPolicy{Policy: p, GeneratedAt: time.Now().UTC()}))
	})
}

// vscodePolicy answers the group's policy in the editors' native form, with
// what it cannot express in the Extguard-Unexpressible header (one rule per
// comma-separated item) besides the comments the .reg file carries.
func (a *Admin) vscodePolicy(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		format, err := vscodepolicy.ParseFormat(c.Query("format"))
		if err != nil {
			return err
		}
		g, err := a.uc.GetGroup.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		p, err := a.uc.ViewGroupPolicy.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		r := vscodepolicy.Render(p, g.Name(), format)
		c.Set(fiber.HeaderContentType, r.ContentType)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+r.Filename+`"`)
		c.Set(fiber.HeaderETag, p.ETag)
		if len(r.Unexpressible) > 0 {
			c.Set("Extguard-Unexpressible", strings.Join(r.Unexpressible, ", "))
		}
		return c.Send(r.Body)
	})
}

func (a *Admin) listAuditLog(c *fiber.Ctx) error {
	q := query{c: c}
	f := application.AuditFilter{ActorID: q.id("actor_id"), GroupID: q.id("group_id"), TargetType: q.str("target_type"),
		TargetID: q.id("target_id"), Since: q.time("since"), Until: q.time("until")}
	if s := q.str("event_type"); s != "" {
		t, err := audit.ParseEventType(s)
		q.fe.Include("", err)
		f.EventType = t
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListAuditLog.Execute(c.UserContext(), f, page)
	return respond(c, fiber.StatusOK, p, err, func(p application.Page[audit.Event]) pageDoc[auditDoc] { return pageOf(p, auditDocOf) })
}
