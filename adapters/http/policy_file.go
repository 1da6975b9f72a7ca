package httpapi

import (
	"github.com/extguard/extguard/adapters/policyfile"
	"github.com/extguard/extguard/application"
	"github.com/gofiber/fiber/v2"
)

// policyFileRoutes: policy as code. The schema holds no data, so editors
// fetch it without credentials; a plan reads and writes nothing, so it
// needs only the read permission.
func (a *Admin) policyFileRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/policy/schema.json", Permission: PermPublic, Tag: "policy",
			Summary: "The JSON Schema of the policy file (for editors' completion)", Status: fiber.StatusOK, Response: "JSONSchema", handle: a.policySchema},
		{Method: fiber.MethodGet, Path: "/api/v1/policy/export", Permission: PermRead, Tag: "policy",
			Summary: "The current policy as a policy file (YAML, natural keys; planning it back changes nothing)", Status: fiber.StatusOK, Response: "PolicyFileText", handle: a.exportPolicy},
		{Method: fiber.MethodPost, Path: "/api/v1/policy/plan", Permission: PermRead, Tag: "policy",
			Summary: "What applying a policy file would change now, with its impact and the revision planned against (writes nothing; read permission)",
			Body:    "PolicyPlanRequest", Status: fiber.StatusOK, Response: "PolicyPlan", handle: a.planPolicy},
		{Method: fiber.MethodPost, Path: "/api/v1/policy/apply", Permission: PermEditPolicy, Tag: "policy",
			Summary: "Apply a policy file in one transaction if it is the file planned at the revision and the state is still the one planned against (409 otherwise); every change audited with one change_set_id",
			Body:    "PolicyApplyRequest", Status: fiber.StatusOK, Response: "PolicyApplied", handle: a.applyPolicy},
	}
}

type policyApplyRequest struct {
	File     string `json:"file"`
	Prune    bool   `json:"prune"`
	Revision string `json:"revision"` // the revision of this file's plan
}

type policyAppliedDoc struct {
	ChangeSetID *string           `json:"change_set_id"` // null when nothing changed
	Revision    string            `json:"revision"`
	Changes     []policyChangeDoc `json:"changes"`
}

func (a *Admin) applyPolicy(c *fiber.Ctx) error {
	var in policyApplyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	// A bad file's problems travel in the file: the use case adds the
	// server's findings and answers them all in one 400.
	f := policyfile.Read([]byte(in.File))
	done, err := a.uc.ApplyPolicy.Execute(c.UserContext(), actor(c), f, in.Prune, in.Revision)
	return respond(c, done, err, func(d application.AppliedPolicy) policyAppliedDoc {
		return policyAppliedDoc{ChangeSetID: optID(d.ChangeSetID), Revision: d.Revision, Changes: changeDocs(d.Changes)}
	})
}

func changeDocs(changes []application.PolicyChange) []policyChangeDoc {
	out := make([]policyChangeDoc, len(changes))
	for i, ch := range changes {
		out[i] = policyChangeDoc{Resource: ch.Resource, Key: ch.Key, Action: string(ch.Action), Before: optFields(ch.Before), After: optFields(ch.After)}
	}
	return out
}

type policyPlanRequest struct {
	File  string `json:"file"`  // the policy file's text, YAML or JSON
	Prune bool   `json:"prune"` // delete what the file does not mention
}

type policyPlanDoc struct {
	Revision string            `json:"revision"`
	Changes  []policyChangeDoc `json:"changes"`
	Impact   impactDoc         `json:"impact"`   // installations the added blocks match, as POST /blocklist/impact counts them
	Verdicts verdictImpactDoc  `json:"verdicts"` // the candidate policy's verdicts against current inventories
}

type policyChangeDoc struct {
	Resource string          `json:"resource"`
	Key      string          `json:"key"`
	Action   string          `json:"action"`
	Before   *map[string]any `json:"before"` // null for a create
	After    *map[string]any `json:"after"`  // null for a delete
}

func (a *Admin) policySchema(c *fiber.Ctx) error {
	return c.JSON(policyfile.Schema())
}

func (a *Admin) exportPolicy(c *fiber.Ctx) error {
	f, err := a.uc.ExportPolicy.Execute(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/yaml")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="extguard-policy.yaml"`)
	return c.Send(policyfile.Format(f))
}

func (a *Admin) planPolicy(c *fiber.Ctx) error {
	var in policyPlanRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	f := policyfile.Read([]byte(in.File)) // its problems are answered with the server's, as in applyPolicy
	plan, err := a.uc.PlanPolicy.Execute(c.UserContext(), f, in.Prune)
	return respond(c, plan, err, func(p application.PolicyPlan) policyPlanDoc {
		return policyPlanDoc{Revision: p.Revision, Changes: changeDocs(p.Changes), Impact: impactDocOf(p.Impact), Verdicts: verdictImpactDocOf(p.Verdicts)}
	})
}

func optFields(m map[string]any) *map[string]any {
	if m == nil {
		return nil
	}
	return &m
}
