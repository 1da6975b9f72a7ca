package application_test

// In-memory fakes of the extension-request ports (fakes_test.go is near
// the file-size limit).

import (
	"context"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/request"
)

// requestsInMemory is the RequestRepository.
type requestsInMemory struct{ *table[request.Request] }

func newRequests(rs ...request.Request) *requestsInMemory {
	return &requestsInMemory{table: newTable(request.Request.ID, rs...)}
}

func (r *requestsInMemory) Create(ctx context.Context, q request.Request) (request.Request, bool, error) {
	if p, err := r.Pending(ctx, q.AgentID(), q.ExtensionID()); err == nil {
		return p, false, nil
	}
	return q, true, r.create(q)
}

func (r *requestsInMemory) Pending(_ context.Context, agentID domain.ID, id extension.ExtensionID) (request.Request, error) {
	for _, q := range r.rows {
		if q.AgentID() == agentID && q.ExtensionID() == id && q.Status() == request.StatusPending {
			return q, nil
		}
	}
	return request.Request{}, errNoRow
}

func (r *requestsInMemory) CountSince(_ context.Context, agentID domain.ID, since time.Time) (int, time.Time, error) {
	n, oldest := 0, time.Time{}
	for _, q := range r.rows {
		if q.AgentID() == agentID && !q.CreatedAt().Before(since) {
			n++
			if oldest.IsZero() || q.CreatedAt().Before(oldest) {
				oldest = q.CreatedAt()
			}
		}
	}
	return n, oldest, nil
}

func (r *requestsInMemory) Get(_ context.Context, id domain.ID) (request.Request, error) {
	return r.get(id)
}

func (r *requestsInMemory) Update(_ context.Context, id domain.ID, change func(request.Request) (request.Request, error)) (request.Request, error) {
	return r.update(id, change)
}

func (r *requestsInMemory) List(context.Context, application.RequestFilter, application.PageRequest) (application.Page[request.Request], error) {
	panic("not used by the use cases under test")
}

// exceptionsInMemory is the ExceptionRepository: it records grants and
// answers ended from Expire.
type exceptionsInMemory struct {
	agents []application.AgentException
	groups []application.GroupGrant
	ended  []application.EndedGrant
}

func (e *exceptionsInMemory) GrantAgent(_ context.Context, x application.AgentException) error {
	e.agents = append(e.agents, x)
	return nil
}

func (e *exceptionsInMemory) GrantGroup(_ context.Context, g application.GroupGrant) (domain.ID, error) {
	e.groups = append(e.groups, g)
	return domain.NewID(), nil
}

func (e *exceptionsInMemory) Live(context.Context, time.Time) ([]application.AgentException, error) {
	return e.agents, nil
}

func (e *exceptionsInMemory) ForAgent(context.Context, domain.ID, time.Time) ([]application.AgentException, error) {
	return e.agents, nil
}

func (e *exceptionsInMemory) Expire(context.Context, time.Time) ([]application.EndedGrant, error) {
	ended := e.ended
	e.ended = nil
	return ended, nil
}

// inputsInMemory is PolicyInputs: the same input for every group.
type inputsInMemory policy.CompileInput

func (i inputsInMemory) Load(_ context.Context, groupID domain.ID) (policy.CompileInput, error) {
	in := policy.CompileInput(i)
	in.GroupID = groupID
	return in, nil
}

// exceptionNews counts ExceptionInvalidator calls.
type exceptionNews struct{ n int }

func (x *exceptionNews) ExceptionsChanged(context.Context) { x.n++ }

// catalogListing adds List to catalogInMemory, by extension id.
type catalogListing struct{ *catalogInMemory }

func (c catalogListing) List(_ context.Context, f application.CatalogFilter, _ application.PageRequest) (application.Page[extension.Entry], error) {
	var p application.Page[extension.Entry]
	for _, e := range c.rows {
		if e.ExtensionID() == f.ExtensionID {
			p.Items = append(p.Items, e)
		}
	}
	return p, nil
}
