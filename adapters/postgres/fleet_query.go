package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// FleetReader serves the admin API's views of agents: the agent list, an
// agent's current inventory and verdict, and report history.
type FleetReader struct{ db *bun.DB }

var _ application.FleetReader = (*FleetReader)(nil)

// NewFleetReader returns the reader on db.
func NewFleetReader(db *bun.DB) *FleetReader { return &FleetReader{db: db} }

// Agents pages agents by id.
func (r *FleetReader) Agents(ctx context.Context, f application.AgentFilter, page application.PageRequest) (application.Page[agent.Agent], error) {
	q := conn(ctx, r.db).NewSelect().Model((*agentRow)(nil))
	if !f.GroupID.IsZero() {
		q = q.Where("group_id = ?", uid(f.GroupID))
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Platform != "" {
		q = q.Where("platform = ?", f.Platform)
	}
	if f.Search != "" {
		// Walked in id order until a page matches: at 100,000 agents a
		// name nobody has is one pass over the table.
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Search) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("display_name ILIKE ?", like).WhereOr("machine_id = ?", f.Search)
		})
	}
	return listByID(ctx, q, "id", page, func(r *agentRow) uuid.UUID { return r.ID }, infallible((*agentRow).toDomain))
}

// Inventory reads the agent's rows of the current inventory.
func (r *FleetReader) Inventory(ctx context.Context, agentID domain.ID) ([]application.InventoryItem, error) {
	var rows []struct {
		Editor      string    `bun:"editor"`
		ExtensionID string    `bun:"extension_id"`
		Version     string    `bun:"installed_version,nullzero"`
		SHA256      string    `bun:"extension_sha256,nullzero"`
		ReportedAt  time.Time `bun:"reported_at"`
	}
	err := conn(ctx, r.db).NewSelect().TableExpr("installations").
		Column("editor", "extension_id", "installed_version", "extension_sha256", "reported_at").
		Where("agent_id = ?", uid(agentID)).OrderExpr("extension_id, editor").Scan(ctx, &rows)
	out := make([]application.InventoryItem, len(rows))
	for i, row := range rows {
		out[i] = application.InventoryItem{Editor: row.Editor, ExtensionID: row.ExtensionID, Version: row.Version,
			SHA256: row.SHA256, ReportedAt: row.ReportedAt}
	}
	return out, err
}

// Verdict reads the verdict of the agent's newest report.
func (r *FleetReader) Verdict(ctx context.Context, agentID domain.ID) (application.AgentVerdict, bool, error) {
	var row struct {
		ReportedAt time.Time       `bun:"reported_at"`
		PolicyETag string          `bun:"policy_etag"`
		Compliant  bool            `bun:"compliant"`
		Violations json.RawMessage `bun:"violations,type:jsonb"`
		Native     json.RawMessage `bun:"native_policy,type:jsonb"`
	}
	err := conn(ctx, r.db).NewSelect().TableExpr("agent_verdicts").
		Column("reported_at", "policy_etag", "compliant", "violations", "native_policy").Where("agent_id = ?", uid(agentID)).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return application.AgentVerdict{}, false, nil
	}
	if err != nil {
		return application.AgentVerdict{}, false, err
	}
	v := application.AgentVerdict{ReportedAt: row.ReportedAt, PolicyETag: row.PolicyETag, Compliant: row.Compliant,
		Violations: []application.VerdictViolation{}}
	if err := json.Unmarshal(row.Violations, &v.Violations); err != nil {
		return application.AgentVerdict{}, false, domain.Internal("stored verdict of agent " + agentID.String() + " does not decode")
	}
	if v.NativePolicy, err = nativePolicyOf(row.Native); err != nil {
		return application.AgentVerdict{}, false, domain.Internal("stored native policy of agent " + agentID.String() + " does not decode")
	}
	return v, true, nil
}

type reportRow struct {
	ID               uuid.UUID `bun:"id"`
	AgentID          uuid.UUID `bun:"agent_id"`
	GroupID          uuid.UUID `bun:"group_id"`
	ExtensionID      string    `bun:"extension_id"`
	UserHash         string    `bun:"user_hash"`
	Installed        bool      `bun:"installed"`
	InstalledVersion string    `bun:"installed_version,nullzero"`
	ExtensionSHA256  string    `bun:"extension_sha256,nullzero"`
	Editor           string    `bun:"editor"`
	ClientIP         string    `bun:"client_ip,nullzero"`
	ReportedAt       time.Time `bun:"reported_at"`
}

// Reports pages report history newest first, keyed by (reported_at, id).
func (r *FleetReader) Reports(ctx context.Context, f application.ReportFilter, page application.PageRequest) (application.Page[application.ReportRecord], error) {
	q := conn(ctx, r.db).NewSelect().TableExpr("reports").
		ColumnExpr("id, agent_id, group_id, extension_id, user_hash, installed, installed_version, extension_sha256, editor").
		ColumnExpr("host(client_ip) AS client_ip, reported_at")
	if !f.AgentID.IsZero() {
		q = q.Where("agent_id = ?", uid(f.AgentID))
	}
	if !f.GroupID.IsZero() {
		q = q.Where("group_id = ?", uid(f.GroupID))
	}
	if f.ExtensionID != "" {
		q = q.Where("extension_id = ?", f.ExtensionID.String())
	}
	if !f.Since.IsZero() {
		q = q.Where("reported_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("reported_at < ?", f.Until)
	}
	return listNewestFirst(ctx, q, "reported_at", "id", page, func(r *reportRow) (time.Time, uuid.UUID) { return r.ReportedAt, r.ID },
		func(r *reportRow) (application.ReportRecord, error) {
			return application.ReportRecord{ID: did(r.ID), AgentID: did(r.AgentID), GroupID: did(r.GroupID),
				ExtensionID: r.ExtensionID, UserHash: r.UserHash, Installed: r.Installed, InstalledVersion: r.InstalledVersion,
				ExtensionSHA256: r.ExtensionSHA256, Editor: r.Editor, ClientIP: r.ClientIP, ReportedAt: r.ReportedAt}, nil
		})
}
