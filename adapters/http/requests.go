package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/request"
	"github.com/extguard/extguard/protocol/agentv1"
)

// requestStatuses are the request statuses, for the schemas and filters.
var requestStatuses = []string{"pending", "approved", "denied", "expired"}

func (a *Admin) requestRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/requests", Permission: PermAnswerRequests, Tag: "requests", Summary: "List extension requests (oldest first)", List: true,
			Query:  []param{{Name: "status", Type: "string", Enum: requestStatuses}, uuidParam("group_id", ""), stringParam("extension_id", "publisher.name")},
			Status: fiber.StatusOK, Response: "ExtensionRequestPage", handle: a.listRequests},
		{Method: fiber.MethodPost, Path: "/api/v1/requests/{id}/approve", Permission: PermAnswerRequests, Tag: "requests",
			Summary: "Approve a pending request for its agent or its group, possibly until expires_at (409 when the extension is blocked)",
			Body:    "ExtensionRequestApproval", Status: fiber.StatusOK, Response: "ExtensionRequest", handle: a.approveRequest},
		{Method: fiber.MethodPost, Path: "/api/v1/requests/{id}/deny", Permission: PermAnswerRequests, Tag: "requests", Summary: "Deny a pending request with a note",
			Body: "ExtensionRequestDenial", Status: fiber.StatusOK, Response: "ExtensionRequest", handle: a.denyRequest},
	}
}

type requestApproveRequest struct {
	Scope     string     `json:"scope"`
	Version   string     `json:"version"`
	ExpiresAt *time.Time `json:"expires_at"`
	Note      string     `json:"note"`
}

type requestDenyRequest struct {
	Note string `json:"note"`
}

// RequestFilterOf reads the request queue's filter (status, group_id,
// extension_id) from the query, as GET /api/v1/requests and the console's
// queue take it, with the field errors of the bad values.
func RequestFilterOf(c *fiber.Ctx) (application.RequestFilter, domain.FieldErrors) {
	q := query{c: c}
	f := application.RequestFilter{GroupID: q.id("group_id")}
	if s := q.str("status"); s != "" {
		st, err := request.ParseStatus(s)
		q.fe.Include("", err)
		f.Status = st
	}
	f.ExtensionID = q.extensionID()
	return f, q.fe
}

func (a *Admin) listRequests(c *fiber.Ctx) error {
	f, fe := RequestFilterOf(c)
	q := query{c: c, fe: fe}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	p, err := a.uc.ListRequests.Execute(c.UserContext(), f, page)
	return respond(c, p, err, func(p application.Page[request.Request]) pageDoc[requestDoc] { return pageOf(p, requestDocOf) })
}

func (a *Admin) approveRequest(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in requestApproveRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		r, err := a.uc.ApproveRequest.Execute(c.UserContext(), actor(c), id, application.ApproveInput{Scope: in.Scope,
			Version: in.Version, ExpiresAt: in.ExpiresAt, Note: in.Note})
		return respond(c, r, err, requestDocOf)
	})
}

func (a *Admin) denyRequest(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		var in requestDenyRequest
		if err := decodeBody(c, &in); err != nil {
			return err
		}
		r, err := a.uc.DenyRequest.Execute(c.UserContext(), actor(c), id, in.Note)
		return respond(c, r, err, requestDocOf)
	})
}

// requestDoc is a request as admins see it: the requester is the agent with
// the machine id and user hash it reported, nothing more.
type requestDoc struct {
	ID          string     `json:"id"`
	AgentID     string     `json:"agent_id"`
	GroupID     string     `json:"group_id"`
	MachineID   string     `json:"machine_id"`
	UserHash    string     `json:"user_hash"`
	ExtensionID string     `json:"extension_id"`
	Version     *string    `json:"version"`
	Reason      string     `json:"reason"`
	Status      string     `json:"status"`
	Scope       *string    `json:"scope"`
	ExpiresAt   *time.Time `json:"expires_at"`
	AnsweredBy  *string    `json:"answered_by"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
}

func requestDocOf(r request.Request) requestDoc {
	return requestDoc{ID: r.ID().String(), AgentID: r.AgentID().String(), GroupID: r.GroupID().String(), MachineID: r.MachineID(),
		UserHash: r.UserHash(), ExtensionID: r.ExtensionID().String(), Version: optString(r.Version()), Reason: r.Reason(),
		Status: string(r.Status()), Scope: optString(string(r.Scope())), ExpiresAt: optTime(r.ExpiresAt()),
		AnsweredBy: optID(r.AnsweredBy()), Note: r.Note(), CreatedAt: r.CreatedAt().UTC(), AnsweredAt: optTime(r.AnsweredAt())}
}

// requestShapes are the schemas of requests.go and agent_requests.go.
func requestShapes() []shape {
	status := jsonObject{"status": oneOfValues(requestStatuses...), "scope": oneOfValues("agent", "group")}
	return []shape{
		{name: "ExtensionRequest", typ: typeOf[requestDoc](), hints: status},
		{name: "ExtensionRequestPage", typ: typeOf[pageDoc[requestDoc]]()},
		{name: "ExtensionRequestApproval", typ: typeOf[requestApproveRequest](), request: true, required: []string{"scope"},
			hints: jsonObject{"scope": oneOfValues("agent", "group")}},
		{name: "ExtensionRequestDenial", typ: typeOf[requestDenyRequest](), request: true, required: []string{"note"}},
		{name: "AgentExtensionRequest", open: true, typ: typeOf[agentv1.ExtensionRequest](), request: true, required: []string{"extension_id", "reason"}},
		{name: "AgentRequest", typ: typeOf[agentv1.RequestAnswer](), hints: status},
		{name: "AgentRequestList", typ: typeOf[agentv1.RequestList]()},
	}
}
