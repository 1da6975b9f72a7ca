package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/group"
)

type overviewData struct {
	Fleet  application.ComplianceSummary
	Groups []groupShare
	Trend  trendChart
}

type groupShare struct {
	GroupID   domain.ID
	Name      string
	Agents    int
	Compliant int
}

// overview is the fleet's summary, every group's compliant share and the
// 30-day trend: one use case (one pass over the verdicts, and the series),
// whatever the number of groups.
func (k *Console) overview(c *fiber.Ctx, s *session) error {
	ctx := c.UserContext()
	o, err := k.uc.FleetOverview.Execute(ctx)
	if err != nil {
		return k.fail(c, s, err)
	}
	ix, err := k.groupIndex(ctx)
	if err != nil {
		return k.fail(c, s, err)
	}
	d := overviewData{Fleet: o.Fleet, Trend: newTrendChart(o.Trend)}
	byGroup := make(map[domain.ID]application.ComplianceShare, len(o.Shares))
	for _, sh := range o.Shares {
		byGroup[sh.GroupID] = sh
	}
	// The listed groups in their order (those without agents at zero), then
	// any group with agents past the first page of groups.
	for _, g := range ix.Listed {
		sh := byGroup[g.ID()]
		delete(byGroup, g.ID())
		d.Groups = append(d.Groups, groupShare{GroupID: g.ID(), Name: g.Name(), Agents: sh.Agents, Compliant: sh.Compliant})
	}
	for _, sh := range o.Shares {
		if _, rest := byGroup[sh.GroupID]; !rest {
			continue
		}
		name, err := ix.name(ctx, sh.GroupID)
		if err != nil {
			return k.fail(c, s, err)
		}
		d.Groups = append(d.Groups, groupShare{GroupID: sh.GroupID, Name: name, Agents: sh.Agents, Compliant: sh.Compliant})
	}
	return k.show(c, s, "overview", "Overview", d)
}

type agentsData struct {
	List       listing[agent.Agent]
	Names      map[domain.ID]string
	Groups     []group.Group
	MoreGroups bool // more groups than Groups offers (the filter says so)
	GroupID    string
	Status     string
	Platform   string
	Search     string
	Statuses   []agent.Status
}

func (k *Console) agents(c *fiber.Ctx, s *session) error {
	q := form{c: c}
	f := application.AgentFilter{GroupID: q.id("group_id"), Platform: q.str("platform"), Search: q.str("q")}
	if st := q.str("status"); st != "" {
		v, err := agent.ParseStatus(st)
		q.fe.Include("", err)
		f.Status = v
	}
	page := q.page()
	if err := q.err(); err != nil {
		return k.fail(c, s, err)
	}
	p, err := k.uc.ListAgents.Execute(c.UserContext(), f, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	ix, err := k.groupIndex(c.UserContext())
	if err != nil {
		return k.fail(c, s, err)
	}
	names, err := ix.namesOf(c.UserContext(), idsOf(p.Items, agent.Agent.GroupID))
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "agents", "Agents", agentsData{List: listingOf(c, p), Names: names, Groups: ix.Listed, MoreGroups: ix.More,
		GroupID: q.str("group_id"), Status: q.str("status"), Platform: q.str("platform"), Search: q.str("q"),
		Statuses: []agent.Status{agent.StatusActive, agent.StatusStale, agent.StatusOffline, agent.StatusDecommissioned}})
}

type agentData struct {
	Detail     application.AgentDetail
	GroupName  string
	Exceptions []application.AgentException
}

func (k *Console) agent(c *fiber.Ctx, s *session) error {
	id, err := pathID(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	d, err := k.uc.GetAgent.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	name, err := (&groupIndex{uc: k.uc, names: map[domain.ID]string{}}).name(c.UserContext(), d.Agent.GroupID())
	if err != nil {
		return k.fail(c, s, err)
	}
	ex, err := k.uc.ListAgentExceptions.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "agent", d.Agent.DisplayName(), agentData{Detail: d, GroupName: name, Exceptions: ex})
}

type installationsData struct {
	Query application.InstallationQuery
	List  listing[application.Installation]
	Names map[domain.ID]string
	CSV   string
	Asked bool
	Block blockTarget // what the Block action would block
}

// blockTarget is the blocklist entry an installations search stands for:
// an extension id is an exact entry, a publisher a publisher entry, a
// pattern its own type (glob when the search gave none, as it reads it).
type blockTarget struct{ PatternType, Pattern string }

func blockTargetOf(q application.InstallationQuery) blockTarget {
	switch {
	case q.ExtensionID != "":
		return blockTarget{string(blocklist.PatternExact), q.ExtensionID}
	case q.Publisher != "":
		return blockTarget{string(blocklist.PatternPublisher), q.Publisher}
	case q.PatternType != "":
		return blockTarget{q.PatternType, q.Pattern}
	}
	return blockTarget{string(blocklist.PatternGlob), q.Pattern}
}

// installationQuery is the query of the installations page and its CSV,
// the API's parameters.
func installationQuery(c *fiber.Ctx) (application.InstallationQuery, *form) {
	q := &form{c: c}
	return application.InstallationQuery{ExtensionID: q.str("extension_id"), Publisher: q.str("publisher"),
		Pattern: q.str("pattern"), PatternType: q.str("pattern_type"), GroupID: q.id("group_id")}, q
}

func (k *Console) installations(c *fiber.Ctx, s *session) error {
	in, q := installationQuery(c)
	page := q.page()
	d := installationsData{Query: in, Asked: in.ExtensionID != "" || in.Publisher != "" || in.Pattern != "", Block: blockTargetOf(in)}
	if d.Asked {
		err := q.err()
		var p application.Page[application.Installation]
		if err == nil {
			p, err = k.uc.FindInstallations.Execute(c.UserContext(), in, page)
		}
		if msg, fields, ok := fieldErrors(err); ok {
			return k.pages.render(c, fiber.StatusBadRequest, "installations",
				view{Title: "Installations", Nav: "installations", Session: s, Error: msg, Fields: fields, Data: d})
		}
		if err != nil {
			return k.fail(c, s, err)
		}
		names, err := k.installationGroups(c.UserContext(), p.Items)
		if err != nil {
			return k.fail(c, s, err)
		}
		d.List, d.Names = listingOf(c, p), names
		d.CSV = Prefix + "/installations.csv?" + string(c.Request().URI().QueryString())
	}
	return k.show(c, s, "installations", "Installations", d)
}

type impactData struct {
	Impact      application.Impact
	PatternType string
	Pattern     string
	Reason      string
}

// blockImpact is the Block action's first step: what the entry would block
// now (the blocklist impact use case, which writes nothing), with the form
// that then creates it.
func (k *Console) blockImpact(c *fiber.Ctx, s *session) error {
	in := application.NewBlocklistInput{PatternType: c.FormValue("pattern_type"), Pattern: c.FormValue("pattern"),
		Reason: c.FormValue("reason")}
	im, err := k.uc.PreviewBlocklistImpact.Execute(c.UserContext(), in)
	if msg, fields, ok := fieldErrors(err); ok {
		return k.pages.render(c, fiber.StatusBadRequest, "impact", view{Session: s, Error: msg, Fields: fields,
			Data: impactData{PatternType: in.PatternType, Pattern: in.Pattern, Reason: in.Reason}})
	}
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.pages.render(c, fiber.StatusOK, "impact", view{Title: "Block " + in.Pattern, Nav: "installations", Session: s,
		Data: impactData{Impact: im, PatternType: in.PatternType, Pattern: in.Pattern, Reason: in.Reason}})
}
