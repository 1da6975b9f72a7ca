package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) agentRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/agents", Permission: PermRead, Tag: "agents", Summary: "List agents", List: true,
			Query:  []param{uuidParam("group_id", ""), {Name: "status", Type: "string", Enum: []string{"active", "stale", "offline", "decommissioned"}}, stringParam("platform", "e.g. linux-x64")},
			Status: fiber.StatusOK, Response: "AgentPage", handle: a.listAgents},
		{Method: fiber.MethodGet, Path: "/api/v1/agents/{id}", Permission: PermRead, Tag: "agents", Summary: "Read an agent with its current inventory and verdict", Status: fiber.StatusOK, Response: "AgentDetail", handle: a.getAgent},
		{Method: fiber.MethodDelete, Path: "/api/v1/agents/{id}", Permission: PermDecommissionAgents, Tag: "agents", Summary: "Decommission an agent", Status: fiber.StatusNoContent, handle: a.decommissionAgent},
	}
}

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
	return respond(c, p, err, func(p application.Page[agent.Agent]) pageDoc[agentDoc] { return pageOf(p, agentDocOf) })
}

func (a *Admin) getAgent(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		d, err := a.uc.GetAgent.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		doc := agentDetailDocOf(d)
		if doc.NativePolicy, err = a.nativePolicyDoc(c, d); err != nil {
			return err
		}
		return c.JSON(doc)
	})
}

func (a *Admin) decommissionAgent(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		return noContent(c, a.uc.DecommissionAgent.Execute(c.UserContext(), actor(c), id))
	})
}

type agentDoc struct {
	ID            string     `json:"id"`
	GroupID       string     `json:"group_id"`
	MachineID     string     `json:"machine_id"`
	UserHash      string     `json:"user_hash"`
	DisplayName   string     `json:"display_name"`
	Platform      string     `json:"platform"`
	AgentVersion  string     `json:"agent_version"`
	LastHeartbeat *time.Time `json:"last_heartbeat"`
	LastSync      *time.Time `json:"last_sync"`
	Status        string     `json:"status"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func agentDocOf(a agent.Agent) agentDoc {
	return agentDoc{ID: a.ID().String(), GroupID: a.GroupID().String(), MachineID: a.MachineID(), UserHash: a.UserHash(),
		DisplayName: a.DisplayName(), Platform: a.Platform(), AgentVersion: a.AgentVersion(), LastHeartbeat: optTime(a.LastHeartbeat()),
		LastSync: optTime(a.LastSync()), Status: string(a.Status()), CreatedAt: a.CreatedAt().UTC(), UpdatedAt: a.UpdatedAt().UTC()}
}

type inventoryDoc struct {
	Editor      string    `json:"editor"`
	ExtensionID string    `json:"extension_id"`
	Version     *string   `json:"version"`
	SHA256      *string   `json:"sha256"`
	ReportedAt  time.Time `json:"reported_at"`
}

type verdictViewDoc struct {
	ReportedAt time.Time                      `json:"reported_at"`
	PolicyETag string                         `json:"policy_etag"`
	Compliant  bool                           `json:"compliant"`
	Violations []application.VerdictViolation `json:"violations"`
}

type agentDetailDoc struct {
	agentDoc
	Inventory    []inventoryDoc   `json:"inventory"`
	Verdict      *verdictViewDoc  `json:"verdict"`
	NativePolicy *nativePolicyDoc `json:"native_policy"` // null until a report describes it
}

func agentDetailDocOf(d application.AgentDetail) agentDetailDoc {
	out := agentDetailDoc{agentDoc: agentDocOf(d.Agent), Inventory: make([]inventoryDoc, len(d.Inventory))}
	for i, it := range d.Inventory {
		out.Inventory[i] = inventoryDoc{Editor: it.Editor, ExtensionID: it.ExtensionID, Version: optString(it.Version),
			SHA256: optString(it.SHA256), ReportedAt: it.ReportedAt.UTC()}
	}
	if v := d.Verdict; v != nil {
		out.Verdict = &verdictViewDoc{ReportedAt: v.ReportedAt.UTC(), PolicyETag: v.PolicyETag, Compliant: v.Compliant, Violations: v.Violations}
	}
	return out
}
