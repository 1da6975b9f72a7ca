package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/request"
	"github.com/extguard/extguard/protocol/agentv1"
)

// agentRequestsPageSize is how many requests one GET answers.
const agentRequestsPageSize = 100

// requestRoutes are the agent protocol's extension-request rows.
func (h *AgentAPI) requestRoutes() []route {
	post, get := fiber.MethodPost, fiber.MethodGet
	cursor := jsonObject{"name": "cursor", "in": "query", "schema": schemaOfType("string"), "description": "next_cursor of the previous page"}
	create := "Request an extension (the pending request for it is answered, 200, when there is one)"
	list := "This agent's requests and their answers"
	return []route{
		agentRow(post, agentv1.PathRequests, create, fiber.StatusCreated, h.agentCreateRequest,
			agentOperation("agent_request_create", create, []jsonObject{agentIDHeader}, "AgentExtensionRequest",
				map[int]string{200: "AgentRequest", 201: "AgentRequest"}, 400, 401, 403, 413, 429)),
		agentRow(get, agentv1.PathRequests, list, fiber.StatusOK, h.agentListRequests,
			agentOperation("agent_request_list", list, []jsonObject{agentIDHeader, cursor}, "",
				map[int]string{200: "AgentRequestList"}, 400, 401, 403, 429)),
	}
}

// agentRow is an agent-protocol row of the route table; the handler sets
// the status, as the protocol's alternatives (201 or 200) need.
func agentRow(method, path, summary string, status int, handle fiber.Handler, operation jsonObject) route {
	return route{Method: method, Path: path, Permission: PermAgentKey, Tag: "agent", Summary: summary,
		Status: status, handle: handle, operation: operation}
}

func (h *AgentAPI) agentCreateRequest(c *fiber.Ctx) error {
	ctx, cancel := boundedAgentContext(c)
	defer cancel()
	a, err := h.authorizeAgent(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	var req agentv1.ExtensionRequest
	if err := decodeAgentBody(c, &req, true); err != nil {
		return agentError(c, err)
	}
	r, created, err := h.uc.CreateRequest.Execute(ctx, a, application.RequestInput{ExtensionID: req.ExtensionID,
		Version: req.Version, Reason: req.Reason})
	if err != nil {
		return agentError(c, err)
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(requestAnswer(r))
}

func (h *AgentAPI) agentListRequests(c *fiber.Ctx) error {
	ctx, cancel := boundedAgentContext(c)
	defer cancel()
	a, err := h.authorizeAgent(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	page, err := application.NewPageRequest(agentRequestsPageSize, c.Query("cursor"))
	if err != nil {
		return agentError(c, err)
	}
	p, err := h.uc.ListAgentRequests.Execute(ctx, a, page)
	if err != nil {
		return agentError(c, err)
	}
	out := agentv1.RequestList{Requests: make([]agentv1.RequestAnswer, len(p.Items)), NextCursor: p.NextCursor}
	for i, r := range p.Items {
		out.Requests[i] = requestAnswer(r)
	}
	return c.JSON(out)
}

func requestAnswer(r request.Request) agentv1.RequestAnswer {
	return agentv1.RequestAnswer{ID: r.ID().String(), ExtensionID: r.ExtensionID().String(), Version: optString(r.Version()),
		Reason: r.Reason(), Status: string(r.Status()), Scope: optString(string(r.Scope())), ExpiresAt: optTime(r.ExpiresAt()),
		Note: r.Note(), CreatedAt: r.CreatedAt().UTC(), AnsweredAt: optTime(r.AnsweredAt())}
}
