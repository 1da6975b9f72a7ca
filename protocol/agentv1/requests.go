package agentv1

import "time"

// PathRequests is the extension-request call, added to v1: POST files a
// request (ExtensionRequest -> RequestAnswer, 201 new, 200 when this agent
// already has one pending for the extension, which is answered instead),
// GET lists this agent's requests (-> RequestList, oldest first; pass
// next_cursor back as ?cursor= for the next page).
const PathRequests = PathPrefix + "requests"

// Request statuses.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDenied   = "denied"
	RequestExpired  = "expired" // the approval's time ran out
)

// Approval scopes: this agent only (an exception) or its whole group.
const (
	ScopeAgent = "agent"
	ScopeGroup = "group"
)

// MaxRequestsPerDay is the default number of new requests an agent may file
// in 24 hours; beyond it the answer is 429 with Retry-After. Asking again
// for a pending request is not a new one.
const MaxRequestsPerDay = 20

// ExtensionRequest asks for an extension the policy does not allow. The id
// must be publisher.name (it need not be known to the server); Reason
// (1 to 1,000 characters of text) is shown to whoever answers.
type ExtensionRequest struct {
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version,omitempty"`
	Reason      string `json:"reason"`
}

// RequestAnswer is a request as the server holds it. Scope, ExpiresAt and
// AnsweredAt are null until it is answered (ExpiresAt stays null for an
// approval without end); Note is the answerer's.
type RequestAnswer struct {
	ID          string     `json:"id"`
	ExtensionID string     `json:"extension_id"`
	Version     *string    `json:"version"`
	Reason      string     `json:"reason"`
	Status      string     `json:"status"`
	Scope       *string    `json:"scope"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
}

// RequestList is one page of an agent's requests; NextCursor is "" on the last.
type RequestList struct {
	Requests   []RequestAnswer `json:"requests"`
	NextCursor string          `json:"next_cursor"`
}
