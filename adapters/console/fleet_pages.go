package console

import (
	"encoding/csv"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/group"
)

// groupNames names the groups of one page of rows (one list call, at most
// the page size of groups): the fleet pages show names, not ids.
func (k *Console) groupNames(c *fiber.Ctx) (map[domain.ID]string, []group.Group, error) {
	p, err := k.uc.ListGroups.Execute(c.UserContext(), application.GroupFilter{}, application.PageRequest{Limit: application.MaxPageLimit})
	if err != nil {
		return nil, nil, err
	}
	m := make(map[domain.ID]string, len(p.Items))
	for _, g := range p.Items {
		m[g.ID()] = g.Name()
	}
	return m, p.Items, nil
}

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
// 30-day trend: three use cases, whatever the number of groups.
func (k *Console) overview(c *fiber.Ctx, s *session) error {
	fleet, err := k.uc.FleetCompliance.Execute(c.UserContext())
	if err != nil {
		return k.fail(c, s, err)
	}
	shares, err := k.uc.ComplianceByGroup.Execute(c.UserContext())
	if err != nil {
		return k.fail(c, s, err)
	}
	_, groups, err := k.groupNames(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	byGroup := make(map[domain.ID]application.ComplianceShare, len(shares))
	for _, sh := range shares {
		byGroup[sh.GroupID] = sh
	}
	days, err := k.uc.ComplianceTrend.Execute(c.UserContext())
	if err != nil {
		return k.fail(c, s, err)
	}
	d := overviewData{Fleet: fleet, Trend: newTrendChart(days)}
	for _, g := range groups {
		sh := byGroup[g.ID()]
		d.Groups = append(d.Groups, groupShare{GroupID: g.ID(), Name: g.Name(), Agents: sh.Agents, Compliant: sh.Compliant})
	}
	return k.show(c, s, "overview", "Overview", d)
}

type agentsData struct {
	List     listing[agent.Agent]
	Names    map[domain.ID]string
	Groups   []group.Group
	GroupID  string
	Status   string
	Platform string
	Search   string
	Statuses []agent.Status
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
	names, groups, err := k.groupNames(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "agents", "Agents", agentsData{List: listingOf(c, p), Names: names, Groups: groups,
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
	names, _, err := k.groupNames(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	ex, err := k.uc.ListAgentExceptions.Execute(c.UserContext(), id)
	if err != nil {
		return k.fail(c, s, err)
	}
	return k.show(c, s, "agent", d.Agent.DisplayName(), agentData{Detail: d, GroupName: names[d.Agent.GroupID()], Exceptions: ex})
}

type installationsData struct {
	Query application.InstallationQuery
	List  listing[application.Installation]
	Names map[domain.ID]string
	CSV   string
	Asked bool
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
	d := installationsData{Query: in, Asked: in.ExtensionID != "" || in.Publisher != "" || in.Pattern != ""}
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
		names, _, err := k.groupNames(c)
		if err != nil {
			return k.fail(c, s, err)
		}
		d.List, d.Names = listingOf(c, p), names
		d.CSV = Prefix + "/installations.csv?" + string(c.Request().URI().QueryString())
	}
	return k.show(c, s, "installations", "Installations", d)
}

// installationsCSV writes every installation the query finds, page by page
// through the same use case, as CSV.
func (k *Console) installationsCSV(c *fiber.Ctx, s *session) error {
	in, q := installationQuery(c)
	if err := q.err(); err != nil {
		return k.fail(c, s, err)
	}
	names, _, err := k.groupNames(c)
	if err != nil {
		return k.fail(c, s, err)
	}
	var rows [][]string
	page := application.PageRequest{Limit: application.MaxPageLimit}
	for {
		p, err := k.uc.FindInstallations.Execute(c.UserContext(), in, page)
		if err != nil {
			return k.fail(c, s, err)
		}
		for _, i := range p.Items {
			rows = append(rows, []string{csvCell(i.DisplayName), csvCell(i.MachineID), i.AgentID.String(), csvCell(names[i.GroupID]),
				i.ExtensionID, csvCell(i.Version), i.Editor, i.ReportedAt.UTC().Format("2006-01-02T15:04:05Z")})
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="installations.csv"`)
	w := csv.NewWriter(c)
	_ = w.Write([]string{"display_name", "machine_id", "agent_id", "group", "extension_id", "version", "editor", "reported_at"})
	_ = w.WriteAll(rows)
	return w.Error()
}

// csvCell keeps a spreadsheet from reading agent-supplied text as a
// formula (=, +, -, @ first).
func csvCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
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
