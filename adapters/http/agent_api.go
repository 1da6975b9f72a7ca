package httpapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/report"
	"github.com/extguard/extguard/protocol/agentv1"
)

// AgentRequestTimeout bounds an agent request's work (the use cases see it
// as their context deadline); a report waiting for its batch is the longest.
const AgentRequestTimeout = 15 * time.Second

// AgentAPI is the agent protocol v1 (package agentv1): enroll, heartbeat,
// policy and reports under /api/v1/agent.
type AgentAPI struct {
	uc              *application.Application
	heartbeatBodies encodedAnswers
}

// NewAgentAPI builds the module on the application's agent use cases.
func NewAgentAPI(uc *application.Application) *AgentAPI { return &AgentAPI{uc: uc} }

// encodedAnswers keeps the encoded heartbeat answer per (ETag, interval):
// every agent of a group gets the same bytes until its policy changes, so
// the hottest endpoint need not encode JSON per request.
// Reads take no lock (sync.Map): every heartbeat reads the same entry.
type encodedAnswers struct {
	m    sync.Map // application.HeartbeatAnswer -> []byte
	size atomic.Int64
}

// maxEncodedAnswers bounds the map; policies change rarely, so starting
// over when it fills costs nothing noticeable.
const maxEncodedAnswers = 4096

func (e *encodedAnswers) get(a application.HeartbeatAnswer, encode func(any) ([]byte, error)) ([]byte, error) {
	if b, ok := e.m.Load(a); ok {
		return b.([]byte), nil
	}
	b, err := encode(agentv1.HeartbeatAnswer{PolicyETag: a.PolicyETag, HeartbeatIntervalS: a.HeartbeatIntervalS})
	if err != nil {
		return nil, err
	}
	if e.size.Add(1) > maxEncodedAnswers {
		e.m.Clear()
		e.size.Store(1)
	}
	e.m.Store(a, b)
	return b, nil
}

var _ Module = (*AgentAPI)(nil)

// Register mounts the agent protocol's rows of the route table. They take
// no guard and no query check: the gate (AuthorizeAgentRequest) is each
// handler's first call, and the hot path pays for nothing else.
func (h *AgentAPI) Register(app *fiber.App) {
	for _, r := range routeTable(nil, h) {
		if r.Permission == PermAgentKey {
			app.Add(r.Method, fiberPath(r.Path), r.handle)
		}
	}
}

// routes are the agent protocol's rows of the route table.
func (h *AgentAPI) routes() []route {
	post, get := fiber.MethodPost, fiber.MethodGet
	row := func(method, path, summary string, handle fiber.Handler, operation jsonObject) route {
		return route{Method: method, Path: path, Permission: PermAgentKey, Tag: "agent", Summary: summary,
			Status: fiber.StatusOK, handle: handle, operation: operation}
	}
	return append([]route{
		row(post, agentv1.PathEnroll, "Enroll a machine (idempotent per group and machine_id)", h.enroll,
			agentOperation("agent_enroll", "Enroll a machine (idempotent per group and machine_id)",
				nil, "AgentEnrollRequest", map[int]string{200: "AgentEnrollment", 201: "AgentEnrollment"}, 400, 401, 403, 413, 429)),
		row(post, agentv1.PathHeartbeat, "Report liveness; answers the current policy ETag", h.heartbeat,
			agentOperation("agent_heartbeat", "Report liveness; answers the current policy ETag",
				[]jsonObject{agentIDHeader}, "AgentHeartbeatRequest", map[int]string{200: "AgentHeartbeat"}, 400, 401, 403, 413, 429)),
		row(get, agentv1.PathPolicy, "The group's compiled policy; 304 when If-None-Match matches", h.policy,
			agentOperation("agent_policy", "The group's compiled policy; 304 when If-None-Match matches",
				[]jsonObject{agentIDHeader, {"name": "If-None-Match", "in": "header", "schema": schemaOfType("string")}},
				"", map[int]string{200: "Policy", 304: ""}, 400, 401, 403, 429)),
		row(post, agentv1.PathReports, "Report the full inventory; answers the verdict", h.report,
			agentOperation("agent_reports", "Report the full inventory; answers the verdict",
				[]jsonObject{agentIDHeader}, "AgentReport", map[int]string{200: "AgentVerdict"}, 400, 401, 403, 413, 429)),
	}, h.requestRoutes()...)
}

// agentContext is the use cases' context for heartbeats and policy syncs:
// the request's, carrying its origin. It has no deadline of its own: these
// answer from memory, and the caches bound their rare loads from the
// database themselves, so a timer per request would buy nothing.
func agentContext(c *fiber.Ctx) context.Context { return agentRequestContext{c} }

// agentRequestContext is the request's user context (fiber's, which may
// carry a server span) answering application.OriginKey itself. Being one
// pointer it becomes a context.Context without an allocation, where
// application.WithOrigin allocates one per request. Like requestOrigin it
// is valid only while the request is served, which is all the agent use
// cases hold it for.
type agentRequestContext struct{ c *fiber.Ctx }

var originKey = application.OriginKey()

func (r agentRequestContext) Deadline() (time.Time, bool) { return r.c.UserContext().Deadline() }
func (r agentRequestContext) Done() <-chan struct{}       { return r.c.UserContext().Done() }
func (r agentRequestContext) Err() error                  { return r.c.UserContext().Err() }

func (r agentRequestContext) Value(key any) any {
	if key == originKey {
		return requestOrigin{r.c}
	}
	return r.c.UserContext().Value(key)
}

// boundedAgentContext is agentContext with AgentRequestTimeout, for the
// requests that wait on the database (enrollment, reports).
func boundedAgentContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(agentContext(c), AgentRequestTimeout)
}

// requestOrigin reads the origin from the request only when a use case asks
// (an audit row, a report), copying it: fiber reuses its buffers after the
// handler. Being one pointer, it goes into the context without allocating.
type requestOrigin struct{ c *fiber.Ctx }

func (r requestOrigin) Origin() application.Origin {
	return application.Origin{ClientIP: clientIP(r.c), UserAgent: userAgent(r.c)}
}

// bearer is the token of "Authorization: Bearer <token>", or "".
func agentBearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

var errNoAgentBearer = domain.Unauthorized("missing API key: send Authorization: Bearer <key>")

func (h *AgentAPI) enroll(c *fiber.Ctx) error {
	ctx, cancel := boundedAgentContext(c)
	defer cancel()
	key, err := h.authorizeKey(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	var req agentv1.EnrollRequest
	if err := decodeAgentBody(c, &req, true); err != nil {
		return agentError(c, err)
	}
	out, err := h.uc.EnrollAgent.Execute(ctx, key, application.EnrollInput{MachineID: req.MachineID, UserHash: req.UserHash,
		DisplayName: req.DisplayName, Platform: req.Platform, AgentVersion: req.AgentVersion})
	if err != nil {
		return agentError(c, err)
	}
	status := fiber.StatusOK
	if out.Created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(agentv1.Enrollment{AgentID: out.Agent.ID().String(), GroupID: out.Agent.GroupID().String(),
		HeartbeatIntervalS: out.Policy.Policy.HeartbeatIntervalS, PolicyETag: out.Policy.Policy.ETag})
}

func (h *AgentAPI) authorizeKey(ctx context.Context, c *fiber.Ctx) (apikey.Key, error) {
	token := agentBearer(c)
	if token == "" {
		return apikey.Key{}, errNoAgentBearer
	}
	return h.uc.AuthorizeAgent.Key(ctx, token)
}

// authorizeAgent runs the whole gate for an enrolled agent's request.
func (h *AgentAPI) authorizeAgent(ctx context.Context, c *fiber.Ctx) (agent.Agent, error) {
	key, err := h.authorizeKey(ctx, c)
	if err != nil {
		return agent.Agent{}, err
	}
	return h.uc.AuthorizeAgent.Agent(ctx, key, c.Get(agentv1.HeaderAgentID))
}

func (h *AgentAPI) heartbeat(c *fiber.Ctx) error {
	ctx := agentContext(c)
	a, err := h.authorizeAgent(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	version, err := heartbeatVersion(c)
	if err != nil {
		return agentError(c, err)
	}
	ans, err := h.uc.RecordHeartbeat.Execute(ctx, a, version)
	if err != nil {
		return agentError(c, err)
	}
	body, err := h.heartbeatBodies.get(ans, jsonEncode)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (h *AgentAPI) policy(c *fiber.Ctx) error {
	ctx := agentContext(c)
	a, err := h.authorizeAgent(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	cp, err := h.uc.SyncPolicy.Execute(ctx, a)
	if err != nil {
		return agentError(c, err)
	}
	c.Set(fiber.HeaderETag, cp.Policy.ETag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	notModified := etagMatches(c.Get(fiber.HeaderIfNoneMatch), cp.Policy.ETag)
	countPolicyAnswer(notModified)
	if notModified {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.JSON(policyDocument(cp))
}

// etagMatches implements If-None-Match: a list of entity tags or "*";
// weak comparison, as RFC 9110 requires for If-None-Match.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for header != "" {
		var t string
		t, header, _ = strings.Cut(header, ",")
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func (h *AgentAPI) report(c *fiber.Ctx) error {
	ctx, cancel := boundedAgentContext(c)
	defer cancel()
	a, err := h.authorizeAgent(ctx, c)
	if err != nil {
		return agentError(c, err)
	}
	if n := reportElementsBound(c.Body(), report.MaxItems); n > report.MaxItems {
		return agentError(c, report.TooMany(n))
	}
	var req agentv1.Report
	if err := decodeAgentBody(c, &req, true); err != nil {
		return agentError(c, err)
	}
	v, err := h.uc.SubmitReport.Execute(ctx, a, reportParams(req), application.OriginFrom(ctx).ClientIP)
	if err != nil {
		return agentError(c, err)
	}
	countReportIngested(v.Compliant)
	return c.JSON(verdictResponse(v))
}

// agentError adds what the one error mapping (problem.go) cannot know: 413
// for an oversized report and Retry-After on 429. Everything else is the
// shared mapping's.
func agentError(c *fiber.Ctx, err error) error {
	if report.IsTooMany(err) {
		var de *domain.Error
		errors.As(err, &de)
		p := newProblem(fiber.StatusRequestEntityTooLarge, de.Message)
		p.Errors = de.Fields
		return WriteProblem(c, p)
	}
	return withRetryAfter(c, err)
}

// withRetryAfter sets Retry-After (whole seconds, rounded up) for a
// rate-limited error that says when to retry, and answers err.
func withRetryAfter(c *fiber.Ctx, err error) error {
	var rl *application.RateLimitedError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((rl.RetryAfter+time.Second-1)/time.Second)))
	}
	return err
}

// WithRetryAfter is withRetryAfter for the other modules on the app.
func WithRetryAfter(c *fiber.Ctx, err error) error { return withRetryAfter(c, err) }
