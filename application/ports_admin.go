package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// Ports of the admin API's use cases. Every List takes a PageRequest and
// answers one Page in a stable keyset order; a cursor that was not produced
// by the same list is invalid (field "cursor").
//
// Every read-modify-write goes through a repository's Update(ctx, id,
// change): it locks the row (SELECT ... FOR UPDATE) in the caller's
// transaction, or its own when there is none, calls change with the row as
// committed and stores what change answers. A concurrent Update of the same
// row waits for the transaction to end and then sees its result, so no change
// is lost; an error from change stores nothing and is returned as is. Errors:
// not_found (unknown or deleted), and the repository's own (conflict).

// UserAccounts is the user store the admin API manages users and logins with.
type UserAccounts interface {
	UserRepository
	// Get returns a user that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (user.User, error)
	// FindByEmail looks a user up by (lower-cased) email. Errors: not_found.
	FindByEmail(ctx context.Context, email string) (user.User, error)
	// Update changes the locked user. Errors: not_found, conflict (email taken).
	Update(ctx context.Context, id domain.ID, change func(current user.User) (user.User, error)) (user.User, error)
	// Delete soft-deletes the user. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages users ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f UserFilter, page PageRequest) (Page[user.User], error)
	// CountActiveAdmins counts active, not deleted admins, locking them so two
	// concurrent demotions cannot both leave one behind.
	CountActiveAdmins(ctx context.Context) (int, error)
}

// UserFilter narrows a user list; zero fields do not filter.
type UserFilter struct {
	Role     user.Role
	IsActive *bool
	Email    string
}

// Session is one admin login. Only the SHA-256 of its token is stored.
type Session struct {
	ID        domain.ID
	UserID    domain.ID
	TokenHash string
	ClientIP  string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionRepository stores admin sessions in PostgreSQL, so admins keep
// working while Redis is down.
type SessionRepository interface {
	// Create stores s. Errors: conflict on a (vanishingly unlikely) hash clash.
	Create(ctx context.Context, s Session) error
	// FindActive returns the session with tokenHash and its user when the
	// session is neither revoked nor expired at now and the user is active and
	// not deleted: a deactivated user loses access on the next request.
	// Errors: not_found otherwise.
	FindActive(ctx context.Context, tokenHash string, now time.Time) (Session, user.User, error)
	// Revoke ends one session. Errors: not_found when already ended.
	Revoke(ctx context.Context, id domain.ID, at time.Time) error
	// RevokeForUser ends every session of a user (deactivation, deletion,
	// password change) and says how many it ended.
	RevokeForUser(ctx context.Context, userID domain.ID, at time.Time) (int, error)
}

// GroupRepository stores groups.
type GroupRepository interface {
	// Create inserts g. Errors: conflict (name taken).
	Create(ctx context.Context, g group.Group) error
	// Get returns a group that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (group.Group, error)
	// Update changes the locked group. Errors: not_found, conflict (name taken).
	Update(ctx context.Context, id domain.ID, change func(current group.Group) (group.Group, error)) (group.Group, error)
	// Delete soft-deletes the group. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages groups ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f GroupFilter, page PageRequest) (Page[group.Group], error)
	// CountEnrolledAgents counts the group's agents that are not
	// decommissioned or deleted.
	CountEnrolledAgents(ctx context.Context, id domain.ID) (int, error)
}

// GroupFilter narrows a group list.
type GroupFilter struct {
	Name string // exact, case-insensitive
}

// CatalogRepository stores the extension catalog.
type CatalogRepository interface {
	// Create inserts e. Errors: conflict (extension_id taken).
	Create(ctx context.Context, e extension.Entry) error
	// Get returns an entry that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (extension.Entry, error)
	// Update changes the locked entry. Errors: not_found, conflict (extension_id taken).
	Update(ctx context.Context, id domain.ID, change func(current extension.Entry) (extension.Entry, error)) (extension.Entry, error)
	// Delete soft-deletes the entry and removes its assignments, answering
	// the groups that had it assigned. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) ([]domain.ID, error)
	// List pages entries ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f CatalogFilter, page PageRequest) (Page[extension.Entry], error)
}

// CatalogFilter narrows a catalog list; zero fields do not filter.
type CatalogFilter struct {
	ExtensionID extension.ExtensionID
	Publisher   string
	IsBlocked   *bool
}

// Assignment is a catalog entry assigned to a group.
type Assignment struct {
	ID         domain.ID
	GroupID    domain.ID
	Entry      extension.Entry
	IsRequired bool
	AddedBy    domain.ID
	CreatedAt  time.Time
}

// AssignmentRepository stores group assignments (group_extensions).
type AssignmentRepository interface {
	// Get returns one assignment. Errors: not_found.
	Get(ctx context.Context, groupID, entryID domain.ID) (Assignment, error)
	// Put inserts or updates the assignment, answering whether it was new.
	Put(ctx context.Context, a Assignment) (created bool, err error)
	// Delete removes the assignment. Errors: not_found.
	Delete(ctx context.Context, groupID, entryID domain.ID) error
	// List pages a group's assignments ordered by assignment id. Errors: invalid (cursor).
	List(ctx context.Context, groupID domain.ID, page PageRequest) (Page[Assignment], error)
}

// BlocklistRepository stores blocklist entries.
type BlocklistRepository interface {
	// Create inserts e. Errors: conflict (same type and pattern).
	Create(ctx context.Context, e blocklist.Entry) error
	// Get returns an entry that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (blocklist.Entry, error)
	// Update changes the locked entry. Errors: not_found, conflict.
	Update(ctx context.Context, id domain.ID, change func(current blocklist.Entry) (blocklist.Entry, error)) (blocklist.Entry, error)
	// Delete soft-deletes the entry. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages entries ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f BlocklistFilter, page PageRequest) (Page[blocklist.Entry], error)
}

// BlocklistFilter narrows a blocklist list.
type BlocklistFilter struct {
	PatternType blocklist.PatternType
	IsActive    *bool
}

// WebhookRepository stores webhook endpoints.
type WebhookRepository interface {
	Create(ctx context.Context, e webhook.Endpoint) error
	// Get returns an endpoint that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (webhook.Endpoint, error)
	// Update changes the locked endpoint. Errors: not_found.
	Update(ctx context.Context, id domain.ID, change func(current webhook.Endpoint) (webhook.Endpoint, error)) (webhook.Endpoint, error)
	// Delete soft-deletes the endpoint; its pending deliveries are dropped
	// by the relay. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages endpoints ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f WebhookFilter, page PageRequest) (Page[webhook.Endpoint], error)
}

// WebhookFilter narrows a webhook list.
type WebhookFilter struct {
	IsEnabled *bool
}

// TargetGuard refuses a URL extguard will connect to (a webhook's url, a
// catalog entry's marketplace_url) when it names a literal loopback,
// private, link-local or metadata address and the operator does not allow
// private targets. Host names are resolved and checked again at dial time,
// since DNS can change between the write and the connection. Errors:
// invalid naming field.
type TargetGuard interface {
	Check(field, rawURL string) error
}

// WebhookSecrets generates endpoint signing secrets (whsec_…).
type WebhookSecrets interface {
	Generate() (string, error)
}

// AgentCacheInvalidator tells API instances that an agent's cached state
// (its enrollment and status) changed. Called after commit; failures are the
// adapter's to log.
type AgentCacheInvalidator interface {
	AgentChanged(ctx context.Context, agentID domain.ID)
}

// FleetReader reads agents, their current inventory and verdict, and report
// history for the admin API.
type FleetReader interface {
	// Agents pages agents ordered by id. Errors: invalid (cursor).
	Agents(ctx context.Context, f AgentFilter, page PageRequest) (Page[agent.Agent], error)
	// Inventory is what the agent has installed now, by editor and id.
	Inventory(ctx context.Context, agentID domain.ID) ([]InventoryItem, error)
	// Verdict is the verdict of the agent's newest report; ok is false
	// before its first report.
	Verdict(ctx context.Context, agentID domain.ID) (v AgentVerdict, ok bool, err error)
	// Reports pages report history, newest first. Errors: invalid (cursor).
	Reports(ctx context.Context, f ReportFilter, page PageRequest) (Page[ReportRecord], error)
}

// AgentFilter narrows an agent list; zero fields do not filter.
type AgentFilter struct {
	GroupID  domain.ID
	Status   agent.Status
	Platform string
}

// InventoryItem is one installed extension of one agent, now.
type InventoryItem struct {
	Editor      string
	ExtensionID string
	Version     string
	SHA256      string
	ReportedAt  time.Time
}

// AgentVerdict is the stored verdict of an agent's newest report.
type AgentVerdict struct {
	ReportedAt time.Time
	PolicyETag string
	Compliant  bool
	Violations []VerdictViolation
}

// VerdictViolation is one violation in a stored verdict.
type VerdictViolation struct {
	ExtensionID string   `json:"extension_id"`
	Kind        string   `json:"kind"`
	Detail      string   `json:"detail,omitempty"`
	Editors     []string `json:"editors,omitempty"`
}

// ReportFilter narrows report history; zero fields do not filter.
type ReportFilter struct {
	AgentID     domain.ID
	GroupID     domain.ID
	ExtensionID extension.ExtensionID
	Since       time.Time // inclusive
	Until       time.Time // exclusive
}

// ReportRecord is one row of report history.
type ReportRecord struct {
	ID               domain.ID
	AgentID          domain.ID
	GroupID          domain.ID
	ExtensionID      string
	UserHash         string
	Installed        bool
	InstalledVersion string
	ExtensionSHA256  string
	Editor           string
	ClientIP         string
	ReportedAt       time.Time
}

// InstallationReader answers "who has X installed now" from the current
// inventory table, never from report history.
type InstallationReader interface {
	// ExtensionIDs lists the distinct extension ids installed anywhere now,
	// for evaluating glob and regex patterns in Go.
	ExtensionIDs(ctx context.Context) ([]string, error)
	// Find pages installations matching f, ordered by extension id, agent id
	// and editor. Errors: invalid (cursor).
	Find(ctx context.Context, f InstallationFilter, page PageRequest) (Page[Installation], error)
}

// InstallationFilter selects installations by exact ids or by publisher;
// exactly one of them is set by the use case (ExtensionIDs non-nil and empty
// selects nothing).
type InstallationFilter struct {
	ExtensionIDs []string
	Publisher    string
	GroupID      domain.ID
}

// Installation is one agent that has one extension installed in one editor.
type Installation struct {
	AgentID     domain.ID
	GroupID     domain.ID
	MachineID   string
	DisplayName string
	ExtensionID string
	Version     string
	Editor      string
	ReportedAt  time.Time
}

// ComplianceReader summarises the current verdicts of a group or the fleet.
type ComplianceReader interface {
	// Summary aggregates over groupID's agents, or every agent when groupID
	// is NilID, listing at most top offending extensions.
	Summary(ctx context.Context, groupID domain.ID, top int) (ComplianceSummary, error)
}

// ComplianceSummary is the compliance of a group (or the fleet) now.
type ComplianceSummary struct {
	GroupID          domain.ID
	AgentsByStatus   map[agent.Status]int
	Agents           int // not decommissioned
	Compliant        int
	NonCompliant     int
	NotReported      int
	ViolationsByKind []KindCount
	TopOffenders     []Offender
}

// KindCount counts violations of one kind and the agents they were found on.
type KindCount struct {
	Kind       string
	Violations int
	Agents     int
}

// Offender is an extension with the number of agents it violates policy on.
type Offender struct {
	ExtensionID string
	Agents      int
}

// AuditReader reads the audit log.
type AuditReader interface {
	// List pages events newest first. Errors: invalid (cursor).
	List(ctx context.Context, f AuditFilter, page PageRequest) (Page[audit.Event], error)
}

// AuditFilter narrows the audit log; zero fields do not filter.
type AuditFilter struct {
	EventType  audit.EventType
	ActorID    domain.ID
	GroupID    domain.ID
	TargetType string
	TargetID   domain.ID
	Since      time.Time // inclusive
	Until      time.Time // exclusive
}
