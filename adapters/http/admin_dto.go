package httpapi

import (
	"encoding/json"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// The admin API's wire shapes. Field names follow the seed's columns;
// timestamps are RFC 3339 UTC and null when unset.

// pageDoc is every list answer: {"items": [...], "next_cursor": "..." | null}.
type pageDoc[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func pageOf[S any, T any](p application.Page[S], conv func(S) T) pageDoc[T] {
	out := pageDoc[T]{Items: make([]T, len(p.Items)), NextCursor: optString(p.NextCursor)}
	for i, s := range p.Items {
		out.Items[i] = conv(s)
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func optID(id domain.ID) *string {
	if id.IsZero() {
		return nil
	}
	s := id.String()
	return &s
}

type userDoc struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	IsActive    bool       `json:"is_active"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func userDocOf(u user.User) userDoc {
	return userDoc{ID: u.ID().String(), Email: u.Email(), DisplayName: u.DisplayName(), Role: string(u.Role()),
		IsActive: u.IsActive(), LastLoginAt: optTime(u.LastLoginAt()), CreatedAt: u.CreatedAt().UTC(), UpdatedAt: u.UpdatedAt().UTC()}
}

type sessionDoc struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userDoc   `json:"user"`
}

type groupDoc struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Settings    group.Settings `json:"settings"` // defaults filled in
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

func groupDocOf(g group.Group) groupDoc {
	return groupDoc{ID: g.ID().String(), Name: g.Name(), Description: g.Description(), Settings: g.Settings(),
		CreatedAt: g.CreatedAt().UTC(), UpdatedAt: g.UpdatedAt().UTC()}
}

type extensionDoc struct {
	ID             string     `json:"id"`
	ExtensionID    string     `json:"extension_id"`
	Name           string     `json:"name"`
	Publisher      string     `json:"publisher"`
	PinnedVersion  *string    `json:"pinned_version"`
	SHA256Checksum *string    `json:"sha256_checksum"`
	MarketplaceURL *string    `json:"marketplace_url"`
	IsBlocked      bool       `json:"is_blocked"`
	BlockReason    string     `json:"block_reason"`
	ContentSHA256  *string    `json:"content_sha256"`
	RevalidatedAt  *time.Time `json:"revalidated_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func extensionDocOf(e extension.Entry) extensionDoc {
	return extensionDoc{ID: e.ID().String(), ExtensionID: e.ExtensionID().String(), Name: e.Name(), Publisher: e.Publisher(),
		PinnedVersion: optString(e.PinnedVersion()), SHA256Checksum: optString(e.SHA256()), MarketplaceURL: optString(e.MarketplaceURL()),
		IsBlocked: e.IsBlocked(), BlockReason: e.BlockReason(), ContentSHA256: optString(e.ContentSHA256()),
		RevalidatedAt: optTime(e.RevalidatedAt()), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
}

type assignmentDoc struct {
	ID          string       `json:"id"`
	GroupID     string       `json:"group_id"`
	ExtensionID string       `json:"extension_id"` // the catalog entry's id, as in group_extensions
	IsRequired  bool         `json:"is_required"`
	AddedBy     *string      `json:"added_by"`
	CreatedAt   time.Time    `json:"created_at"`
	Extension   extensionDoc `json:"extension"`
}

func assignmentDocOf(a application.Assignment) assignmentDoc {
	return assignmentDoc{ID: a.ID.String(), GroupID: a.GroupID.String(), ExtensionID: a.Entry.ID().String(),
		IsRequired: a.IsRequired, AddedBy: optID(a.AddedBy), CreatedAt: a.CreatedAt.UTC(), Extension: extensionDocOf(a.Entry)}
}

type blocklistDoc struct {
	ID          string    `json:"id"`
	PatternType string    `json:"pattern_type"`
	Pattern     string    `json:"pattern"`
	Reason      string    `json:"reason"`
	CreatedBy   *string   `json:"created_by"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func blocklistDocOf(e blocklist.Entry) blocklistDoc {
	return blocklistDoc{ID: e.ID().String(), PatternType: string(e.PatternType()), Pattern: e.Pattern().String(),
		Reason: e.Reason(), CreatedBy: optID(e.CreatedBy()), IsActive: e.IsActive(), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
}

type apiKeyDoc struct {
	ID         string     `json:"id"`
	GroupID    *string    `json:"group_id"`
	CreatedBy  *string    `json:"created_by"`
	KeyPrefix  string     `json:"key_prefix"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedAt  time.Time  `json:"created_at"`
	Key        string     `json:"key,omitempty"` // the secret: only in the POST answer
}

func apiKeyDocOf(k apikey.Key) apiKeyDoc {
	scopes := make([]string, 0, len(k.Scopes()))
	for _, s := range k.Scopes() {
		scopes = append(scopes, string(s))
	}
	return apiKeyDoc{ID: k.ID().String(), GroupID: optID(k.GroupID()), CreatedBy: optID(k.CreatedBy()), KeyPrefix: k.KeyPrefix(),
		Name: k.Name(), Scopes: scopes, ExpiresAt: optTime(k.ExpiresAt()), LastUsedAt: optTime(k.LastUsedAt()),
		RevokedAt: optTime(k.RevokedAt()), CreatedAt: k.CreatedAt().UTC()}
}

type webhookDoc struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Description    string    `json:"description"`
	EventTypes     []string  `json:"event_types"`
	IsEnabled      bool      `json:"is_enabled"`
	DisabledReason string    `json:"disabled_reason"`
	CreatedBy      *string   `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Secret         string    `json:"secret,omitempty"` // only in the POST answer
}

// redactedWebhookDocOf is a webhook as roles that cannot edit webhooks see
// it: the URL's path and query may be the receiver's credential.
func redactedWebhookDocOf(e webhook.Endpoint) webhookDoc {
	d := webhookDocOf(e)
	d.URL = e.RedactedURL()
	return d
}

func webhookDocOf(e webhook.Endpoint) webhookDoc {
	types := make([]string, 0, len(e.EventTypes()))
	for _, t := range e.EventTypes() {
		types = append(types, string(t))
	}
	return webhookDoc{ID: e.ID().String(), URL: e.URL(), Description: e.Description(), EventTypes: types, IsEnabled: e.IsEnabled(),
		DisabledReason: e.DisabledReason(), CreatedBy: optID(e.CreatedBy()), CreatedAt: e.CreatedAt().UTC(), UpdatedAt: e.UpdatedAt().UTC()}
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
	Inventory []inventoryDoc  `json:"inventory"`
	Verdict   *verdictViewDoc `json:"verdict"`
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

type reportDoc struct {
	ID               string    `json:"id"`
	AgentID          string    `json:"agent_id"`
	GroupID          string    `json:"group_id"`
	ExtensionID      string    `json:"extension_id"`
	UserHash         string    `json:"user_hash"`
	Installed        bool      `json:"installed"`
	InstalledVersion *string   `json:"installed_version"`
	ExtensionSHA256  *string   `json:"extension_sha256"`
	Editor           string    `json:"editor"`
	ClientIP         *string   `json:"client_ip"`
	ReportedAt       time.Time `json:"reported_at"`
}

func reportDocOf(r application.ReportRecord) reportDoc {
	return reportDoc{ID: r.ID.String(), AgentID: r.AgentID.String(), GroupID: r.GroupID.String(), ExtensionID: r.ExtensionID,
		UserHash: r.UserHash, Installed: r.Installed, InstalledVersion: optString(r.InstalledVersion),
		ExtensionSHA256: optString(r.ExtensionSHA256), Editor: r.Editor, ClientIP: optString(r.ClientIP), ReportedAt: r.ReportedAt.UTC()}
}

type installationDoc struct {
	AgentID     string    `json:"agent_id"`
	GroupID     string    `json:"group_id"`
	MachineID   string    `json:"machine_id"`
	DisplayName string    `json:"display_name"`
	ExtensionID string    `json:"extension_id"`
	Version     *string   `json:"version"`
	Editor      string    `json:"editor"`
	ReportedAt  time.Time `json:"reported_at"`
}

func installationDocOf(i application.Installation) installationDoc {
	return installationDoc{AgentID: i.AgentID.String(), GroupID: i.GroupID.String(), MachineID: i.MachineID, DisplayName: i.DisplayName,
		ExtensionID: i.ExtensionID, Version: optString(i.Version), Editor: i.Editor, ReportedAt: i.ReportedAt.UTC()}
}

type complianceDoc struct {
	GroupID          *string        `json:"group_id"` // null fleet-wide
	Agents           int            `json:"agents"`   // not decommissioned
	AgentsByStatus   map[string]int `json:"agents_by_status"`
	Compliant        int            `json:"compliant"`
	NonCompliant     int            `json:"non_compliant"`
	NotReported      int            `json:"not_reported"`
	ViolationsByKind []kindCountDoc `json:"violations_by_kind"`
	TopOffenders     []offenderDoc  `json:"top_offenders"`
	GeneratedAt      time.Time      `json:"generated_at"`
}

type kindCountDoc struct {
	Kind       string `json:"kind"`
	Violations int    `json:"violations"`
	Agents     int    `json:"agents"`
}

type offenderDoc struct {
	ExtensionID string `json:"extension_id"`
	Agents      int    `json:"agents"`
}

func complianceDocOf(s application.ComplianceSummary) complianceDoc {
	out := complianceDoc{GroupID: optID(s.GroupID), Agents: s.Agents, AgentsByStatus: map[string]int{}, Compliant: s.Compliant,
		NonCompliant: s.NonCompliant, NotReported: s.NotReported, ViolationsByKind: []kindCountDoc{}, TopOffenders: []offenderDoc{},
		GeneratedAt: time.Now().UTC()}
	for st, n := range s.AgentsByStatus {
		out.AgentsByStatus[string(st)] = n
	}
	for _, k := range s.ViolationsByKind {
		out.ViolationsByKind = append(out.ViolationsByKind, kindCountDoc{k.Kind, k.Violations, k.Agents})
	}
	for _, o := range s.TopOffenders {
		out.TopOffenders = append(out.TopOffenders, offenderDoc{o.ExtensionID, o.Agents})
	}
	return out
}

type auditDoc struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	ActorType  string          `json:"actor_type"`
	ActorID    *string         `json:"actor_id"`
	GroupID    *string         `json:"group_id"`
	TargetType string          `json:"target_type"`
	TargetID   *string         `json:"target_id"`
	Details    json.RawMessage `json:"details"`
	ClientIP   *string         `json:"client_ip"`
	UserAgent  string          `json:"user_agent"`
	CreatedAt  time.Time       `json:"created_at"`
}

func auditDocOf(e audit.Event) auditDoc {
	a := e.Actor()
	return auditDoc{ID: e.ID().String(), EventType: string(e.Type()), ActorType: string(a.Type), ActorID: optID(a.ID),
		GroupID: optID(e.GroupID()), TargetType: e.TargetType(), TargetID: optID(e.TargetID()), Details: e.DetailsJSON(),
		ClientIP: optString(a.ClientIP), UserAgent: a.UserAgent, CreatedAt: e.CreatedAt().UTC()}
}

type attemptDoc struct {
	Attempt         int       `json:"attempt"`
	AttemptedAt     time.Time `json:"attempted_at"`
	StatusCode      *int      `json:"status_code"`
	DurationMS      int       `json:"duration_ms"`
	Error           string    `json:"error"`
	ResponseSnippet string    `json:"response_snippet"`
}

type deliveryDoc struct {
	ID             string       `json:"id"`
	WebhookID      string       `json:"webhook_id"`
	AuditID        string       `json:"audit_id"`
	EventType      string       `json:"event_type"`
	Status         string       `json:"status"`
	Attempts       int          `json:"attempts"`
	NextAttemptAt  *time.Time   `json:"next_attempt_at"`
	LastAttemptAt  *time.Time   `json:"last_attempt_at"`
	LastStatusCode *int         `json:"last_status_code"`
	LastError      string       `json:"last_error"`
	DeliveredAt    *time.Time   `json:"delivered_at"`
	CreatedAt      time.Time    `json:"created_at"`
	AttemptLog     []attemptDoc `json:"attempt_log"`
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func deliveryDocOf(d application.DeliveryView) deliveryDoc {
	out := deliveryDoc{ID: d.ID.String(), WebhookID: d.WebhookID.String(), AuditID: d.AuditID.String(), EventType: d.EventType,
		Status: string(d.Status), Attempts: d.Attempts, LastAttemptAt: optTime(d.LastAttemptAt), LastStatusCode: optInt(d.LastStatusCode),
		LastError: d.LastError, DeliveredAt: optTime(d.DeliveredAt), CreatedAt: d.CreatedAt.UTC(), AttemptLog: make([]attemptDoc, len(d.AttemptLog))}
	if d.Status == "pending" {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	for i, a := range d.AttemptLog {
		out.AttemptLog[i] = attemptDoc{Attempt: a.Attempt, AttemptedAt: a.AttemptedAt.UTC(), StatusCode: optInt(a.StatusCode),
			DurationMS: a.DurationMS, Error: a.Error, ResponseSnippet: a.ResponseSnippet}
	}
	return out
}
