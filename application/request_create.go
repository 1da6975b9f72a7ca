package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/request"
)

// CreateRequest files an agent's extension request. The same machine asking
// again for the same extension while its request is pending gets that
// request back (not counted, not audited again); new requests are limited
// per agent (Limit).
type CreateRequest struct {
	Tx       Transactor
	Requests RequestRepository
	Audit    AuditLog
	Clock    Clock
	Limit    RequestLimit
}

// RequestInput is what the agent asks for.
type RequestInput struct {
	ExtensionID string
	Version     string
	Reason      string
}

// Execute answers the request and whether it is new. Errors: invalid
// (extension_id, version, reason), rate_limited (*RateLimitedError), unavailable.
func (uc CreateRequest) Execute(ctx context.Context, a agent.Agent, in RequestInput) (_ request.Request, created bool, err error) {
	ctx, obs := observe(ctx, "CreateRequest")
	defer obs.end(&err)
	now := uc.Clock.Now()
	r, err := request.New(request.Params{AgentID: a.ID(), GroupID: a.GroupID(), ExtensionID: in.ExtensionID,
		Version: in.Version, Reason: in.Reason}, now)
	if err != nil {
		return request.Request{}, false, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		pending, err := uc.Requests.Pending(ctx, a.ID(), r.ExtensionID())
		if err == nil {
			r = pending
			return nil
		}
		if domain.CodeOf(err) != domain.CodeNotFound {
			return err
		}
		if err := uc.checkLimit(ctx, a.ID(), now); err != nil {
			return err
		}
		if r, created, err = uc.Requests.Create(ctx, r); err != nil || !created {
			return err
		}
		o := OriginFrom(ctx)
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ExtensionRequestCreated,
			Actor:   audit.Actor{Type: audit.ActorAgent, ID: a.ID(), ClientIP: o.ClientIP, UserAgent: o.UserAgent},
			GroupID: a.GroupID(), TargetType: audit.TargetRequest, TargetID: r.ID(), CreatedAt: now,
			Details: map[string]any{"extension_id": r.ExtensionID().String(), "version": r.Version(), "reason": r.Reason(),
				"agent_id": a.ID().String(), "machine_id": a.MachineID(), "user_hash": a.UserHash()}})
	})
	return r, created, err
}

// checkLimit refuses a new request beyond Limit.PerWindow in the last
// Limit.Window, retrying when the oldest counted one leaves the window.
func (uc CreateRequest) checkLimit(ctx context.Context, agentID domain.ID, now time.Time) error {
	limit := uc.Limit
	if limit.PerWindow <= 0 {
		limit = DefaultRequestLimit()
	}
	n, oldest, err := uc.Requests.CountSince(ctx, agentID, now.Add(-limit.Window))
	if err != nil || n < limit.PerWindow {
		return err
	}
	return rateLimited("too many extension requests from this agent", oldest.Add(limit.Window).Sub(now))
}

// ListAgentRequests lists one agent's own requests and their answers.
type ListAgentRequests struct{ Requests RequestRepository }

// Execute pages the agent's requests, oldest first. Errors: invalid (cursor).
func (uc ListAgentRequests) Execute(ctx context.Context, a agent.Agent, page PageRequest) (_ Page[request.Request], err error) {
	ctx, obs := observe(ctx, "ListAgentRequests")
	defer obs.end(&err)
	return uc.Requests.List(ctx, RequestFilter{AgentID: a.ID()}, page)
}

// ListRequests is the admins' request queue.
type ListRequests struct{ Requests RequestRepository }

// Execute pages requests, oldest first. Errors: invalid (cursor).
func (uc ListRequests) Execute(ctx context.Context, f RequestFilter, page PageRequest) (_ Page[request.Request], err error) {
	ctx, obs := observe(ctx, "ListRequests")
	defer obs.end(&err)
	return uc.Requests.List(ctx, f, page)
}

func (app *Application) assembleRequests(d Deps) {
	tx, log, clock := d.Tx, d.Audit, d.Clocks.Precise
	app.CreateRequest = CreateRequest{Tx: tx, Requests: d.Requests, Audit: log, Clock: clock, Limit: d.RequestLimit}
	app.ListAgentRequests = ListAgentRequests{Requests: d.Requests}
	app.ListRequests = ListRequests{Requests: d.Requests}
	app.ApproveRequest = ApproveRequest{Tx: tx, Requests: d.Requests, Exceptions: d.ExceptionStore, Catalog: d.Catalog,
		Inputs: d.PolicyInputs, Audit: log, Clock: clock, Invalidator: d.Invalidator, ExceptionBus: d.ExceptionBus}
	app.DenyRequest = DenyRequest{Tx: tx, Requests: d.Requests, Audit: log, Clock: clock}
	app.ListAgentExceptions = ListAgentExceptions{Exceptions: d.ExceptionStore, Clock: clock}
}
