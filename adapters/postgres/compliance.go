package postgres

import (
	"context"
	"database/sql"
	"sort"

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

// Summary is the group's counts (groupCountsSQL) and its violations.
func (r *ComplianceReader) Summary(ctx context.Context, groupID domain.ID, top int) (application.ComplianceSummary, error) {
	s, _, err := r.summarise(ctx, groupID, top)
	return s, err
}

// Overview is the fleet's summary and every group's share from the same
// counts: one pass over the indexes, whatever the number of groups.
func (r *ComplianceReader) Overview(ctx context.Context, top int) (application.ComplianceSummary, []application.ComplianceShare, error) {
	return r.summarise(ctx, domain.NilID, top)
}

// summarise reads the counts and the violations in one read-only
// transaction without JIT: jsonb_array_elements is planned at 100 rows a
// verdict, so the fleet's violations look like a million rows and
// PostgreSQL would spend 20-50 ms compiling an aggregate that runs on a
// few tens of thousands.
func (r *ComplianceReader) summarise(ctx context.Context, groupID domain.ID, top int) (application.ComplianceSummary, []application.ComplianceShare, error) {
	s := application.ComplianceSummary{GroupID: groupID, AgentsByStatus: map[agent.Status]int{},
		ViolationsByKind: []application.KindCount{}, TopOffenders: []application.Offender{}}
	var shares []application.ComplianceShare
	err := conn(ctx, r.db).RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		counts, err := groupCounts(ctx, tx, groupID)
		if err != nil {
			return err
		}
		shares = tally(&s, counts)
		return violations(ctx, tx, &s, top)
	})
	return s, shares, classify(err)
}

// violations expands the non-compliant verdicts of enrolled agents once,
// for both by-kind and top offenders. Retired agents are left out by an
// anti-join on their small index rather than a join with every agent.
func violations(ctx context.Context, db bun.IDB, s *application.ComplianceSummary, top int) error {
	groupFilter := ""
	args := []any{}
	if !s.GroupID.IsZero() {
		groupFilter = "AND v.group_id = ?"
		args = append(args, uid(s.GroupID))
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
    CROSS JOIN LATERAL jsonb_array_elements(v.violations) e
    WHERE NOT v.compliant `+groupFilter+`
      AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = v.agent_id AND (a.deleted_at IS NOT NULL OR a.status = 'decommissioned'))
)
(SELECT 'kind' AS facet, kind AS key, count(*) AS violations, count(DISTINCT agent_id) AS agents FROM x GROUP BY kind)
UNION ALL
(SELECT 'extension', ext, count(*), count(DISTINCT agent_id) FROM x GROUP BY ext ORDER BY 4 DESC, 2 LIMIT ?)`, args...).Scan(ctx, &rows)
	if err != nil {
		return err
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
	return nil
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
