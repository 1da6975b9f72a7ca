package postgres

import (
	"context"
	"sort"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/policy"
)

// ComplianceReader aggregates agent_verdicts (one row per agent, the
// verdict of its newest report) and agents; it never reads report history.
type ComplianceReader struct{ db *bun.DB }

var _ application.ComplianceReader = (*ComplianceReader)(nil)

// NewComplianceReader returns the reader on db.
func NewComplianceReader(db *bun.DB) *ComplianceReader { return &ComplianceReader{db: db} }

// groupScope restricts a query to one group's agents (alias a), or to none
// when groupID is NilID (fleet-wide).
func groupScope(q *bun.SelectQuery, groupID domain.ID) *bun.SelectQuery {
	if groupID.IsZero() {
		return q
	}
	return q.Where("a.group_id = ?", uid(groupID))
}

// Summary runs two aggregates: agents by status and compliance, and the
// violations (expanded once, used for both by-kind and top offenders).
func (r *ComplianceReader) Summary(ctx context.Context, groupID domain.ID, top int) (application.ComplianceSummary, error) {
	db := conn(ctx, r.db)
	s := application.ComplianceSummary{GroupID: groupID, AgentsByStatus: map[agent.Status]int{},
		ViolationsByKind: []application.KindCount{}, TopOffenders: []application.Offender{}}

	// Counts come from the two narrow indexes, (group_id, status) on agents
	// and (group_id, compliant) on agent_verdicts, without joining the
	// tables: a join would visit every agent row of the group. Verdicts of
	// decommissioned agents (a handful) are then taken back out.
	var byStatus []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := groupScope(db.NewSelect().TableExpr("agents AS a").ColumnExpr("a.status, count(*) AS n").
		Where("a.deleted_at IS NULL").GroupExpr("a.status"), groupID).Scan(ctx, &byStatus); err != nil {
		return s, err
	}
	for _, st := range []agent.Status{agent.StatusActive, agent.StatusStale, agent.StatusOffline, agent.StatusDecommissioned} {
		s.AgentsByStatus[st] = 0
	}
	for _, b := range byStatus {
		s.AgentsByStatus[agent.Status(b.Status)] = b.N
		if agent.Status(b.Status) != agent.StatusDecommissioned {
			s.Agents += b.N
		}
	}
	var verdicts []struct {
		Compliant bool `bun:"compliant"`
		N         int  `bun:"n"`
	}
	vq := db.NewSelect().TableExpr("agent_verdicts AS v").ColumnExpr("v.compliant, count(*) AS n").GroupExpr("v.compliant")
	if !groupID.IsZero() {
		vq = vq.Where("v.group_id = ?", uid(groupID))
	}
	retired := groupScope(db.NewSelect().TableExpr("agent_verdicts AS v").ColumnExpr("v.compliant, -count(*) AS n").
		Join("JOIN agents AS a ON a.id = v.agent_id AND a.group_id = v.group_id").
		Where("a.deleted_at IS NULL AND a.status = 'decommissioned'").GroupExpr("v.compliant"), groupID)
	if err := vq.UnionAll(retired).Scan(ctx, &verdicts); err != nil {
		return s, err
	}
	for _, v := range verdicts {
		if v.Compliant {
			s.Compliant += v.N
		} else {
			s.NonCompliant += v.N
		}
	}
	s.NotReported = max(s.Agents-s.Compliant-s.NonCompliant, 0)

	groupFilter := ""
	args := []any{}
	if !groupID.IsZero() {
		groupFilter = "AND v.group_id = ? AND a.group_id = ?"
		args = append(args, uid(groupID), uid(groupID))
	}
	args = append(args, top)
	var rows []struct {
		Facet      string `bun:"facet"`
		Key        string `bun:"key"`
		Violations int    `bun:"violations"`
		Agents     int    `bun:"agents"`
	}
	err := db.NewRaw(`
WITH x AS MATERIALIZED (
    SELECT v.agent_id, e->>'kind' AS kind, e->>'extension_id' AS ext
    FROM agent_verdicts v
    JOIN agents a ON a.id = v.agent_id AND a.deleted_at IS NULL AND a.status <> 'decommissioned'
    CROSS JOIN LATERAL jsonb_array_elements(v.violations) e
    WHERE NOT v.compliant `+groupFilter+`
)
(SELECT 'kind' AS facet, kind AS key, count(*) AS violations, count(DISTINCT agent_id) AS agents FROM x GROUP BY kind)
UNION ALL
(SELECT 'extension', ext, count(*), count(DISTINCT agent_id) FROM x GROUP BY ext ORDER BY 4 DESC, 2 LIMIT ?)`, args...).Scan(ctx, &rows)
	if err != nil {
		return s, err
	}
	for _, row := range rows {
		if row.Facet == "kind" {
			s.ViolationsByKind = append(s.ViolationsByKind, application.KindCount{Kind: row.Key, Violations: row.Violations, Agents: row.Agents})
		} else {
			s.TopOffenders = append(s.TopOffenders, application.Offender{ExtensionID: row.Key, Agents: row.Agents})
		}
	}
	sort.SliceStable(s.ViolationsByKind, func(i, j int) bool {
		return kindRank(s.ViolationsByKind[i].Kind) < kindRank(s.ViolationsByKind[j].Kind)
	})
	return s, nil
}

// kindRank orders kinds by precedence, as verdicts list them.
func kindRank(k string) int {
	for i, known := range policy.Kinds {
		if string(known) == k {
			return i
		}
	}
	return len(policy.Kinds)
}

// Shares counts every group's agents and compliant verdicts in one pass:
// agents through their (group_id, status) index, each joined to its one
// verdict row (decommissioned agents and their verdicts left out).
func (r *ComplianceReader) Shares(ctx context.Context) ([]application.ComplianceShare, error) {
	var rows []struct {
		GroupID   uuid.UUID `bun:"group_id,type:uuid"`
		Agents    int       `bun:"agents"`
		Compliant int       `bun:"compliant"`
	}
	err := conn(ctx, r.db).NewRaw(liveShares).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]application.ComplianceShare, len(rows))
	for i, row := range rows {
		out[i] = application.ComplianceShare{GroupID: domain.ID(row.GroupID), Agents: row.Agents, Compliant: row.Compliant}
	}
	return out, nil
}
