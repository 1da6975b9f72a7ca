package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/request"
)

// RequestRepository stores extension requests.
type RequestRepository interface {
	// Create inserts r unless its agent already has a pending request for
	// the same extension: that one is answered instead, with created false.
	Create(ctx context.Context, r request.Request) (_ request.Request, created bool, err error)
	// Pending is the agent's pending request for the extension. Errors: not_found.
	Pending(ctx context.Context, agentID domain.ID, id extension.ExtensionID) (request.Request, error)
	// CountSince counts the agent's requests created at or after since and
	// answers when the oldest of them was created (for Retry-After).
	CountSince(ctx context.Context, agentID domain.ID, since time.Time) (n int, oldest time.Time, err error)
	// Get returns one request with the agent's machine id and user hash. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (request.Request, error)
	// Update changes the locked request (see the Update contract in ports.go).
	Update(ctx context.Context, id domain.ID, change func(current request.Request) (request.Request, error)) (request.Request, error)
	// List pages requests oldest first (by id). Errors: invalid (cursor).
	List(ctx context.Context, f RequestFilter, page PageRequest) (Page[request.Request], error)
}

// RequestFilter narrows a request list; zero fields do not filter.
type RequestFilter struct {
	Status      request.Status
	GroupID     domain.ID
	AgentID     domain.ID
	ExtensionID extension.ExtensionID
}

// AgentException is an extension allowed to one agent on top of its
// group's policy, until ExpiresAt (zero: no end).
type AgentException struct {
	ID          domain.ID
	AgentID     domain.ID
	RequestID   domain.ID
	ExtensionID extension.ExtensionID
	Version     string
	ExpiresAt   time.Time
	CreatedBy   domain.ID
	CreatedAt   time.Time
}

// GroupGrant is a time-limited assignment an approval for a group makes.
type GroupGrant struct {
	GroupID   domain.ID
	Entry     extension.Entry
	RequestID domain.ID
	AddedBy   domain.ID
	ExpiresAt time.Time // zero: no end
	At        time.Time
}

// EndedGrant is one exception or time-limited assignment that ended.
type EndedGrant struct {
	RequestID   domain.ID
	AgentID     domain.ID // NilID for an assignment
	GroupID     domain.ID
	ExtensionID string
	Scope       request.Scope
	ExpiresAt   time.Time
}

// ExceptionRepository stores what approvals grant: agents' exceptions and
// time-limited assignments.
type ExceptionRepository interface {
	// GrantAgent creates the agent's exception or, when one is live for the
	// extension, moves it to e's version, expiry and request.
	GrantAgent(ctx context.Context, e AgentException) error
	// GrantGroup assigns the entry to the group (not required) until
	// ExpiresAt or extends its assignment: a permanent assignment stays
	// permanent, a later expiry wins. Answers the assignment's id.
	GrantGroup(ctx context.Context, g GroupGrant) (domain.ID, error)
	// Live lists every exception that has not ended and not expired at now,
	// for the in-memory overlay; ForAgent is the same for one agent.
	Live(ctx context.Context, now time.Time) ([]AgentException, error)
	ForAgent(ctx context.Context, agentID domain.ID, now time.Time) ([]AgentException, error)
	// Expire ends, in one set-based pass in the caller's transaction, every
	// exception and time-limited assignment whose expiry is at or before
	// now, marks their requests expired and answers what ended.
	Expire(ctx context.Context, now time.Time) ([]EndedGrant, error)
}

// AgentExceptions applies agents' live exceptions to their group's
// compiled policy, from memory: it knows which agents have any, so an agent
// without costs one map lookup. Errors: unavailable.
type AgentExceptions interface {
	// Apply is the agent's effective policy: cp itself when the agent has no
	// unexpired exception, else cp with them (its own ETag).
	Apply(ctx context.Context, agentID domain.ID, cp CompiledPolicy) (CompiledPolicy, error)
}

// ExceptionInvalidator tells every API instance that agents' exceptions
// changed (after the commit, like PolicyInvalidator).
type ExceptionInvalidator interface {
	ExceptionsChanged(ctx context.Context)
}

// RequestLimit is how many new requests an agent may file per Window;
// asking again for a pending one does not count.
type RequestLimit struct {
	PerWindow int
	Window    time.Duration
}

// DefaultRequestLimit is 20 new requests per agent per day.
func DefaultRequestLimit() RequestLimit { return RequestLimit{PerWindow: 20, Window: 24 * time.Hour} }
