package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// groupCountsSQL counts, per group, the agents by status and their
// verdicts by compliance, each from its own narrow index without joining
// the tables (a join visits every agent row: it was most of the overview's
// time): (group_id, status) on live agents, (group_id, compliant) on
// agent_verdicts. The verdicts of retired agents (deleted or
// decommissioned, a handful, agents_retired_idx) are then taken back out,
// so what is left is the verdicts of enrolled agents: agents never change
// group, and a verdict carries its agent's. %[1]s is the group (a uuid
// expression), NULL for every group; key is a status, or 'true'/'false'
// for verdicts.
const groupCountsSQL = `
SELECT group_id, status AS key, count(*) AS n
FROM agents WHERE deleted_at IS NULL AND (%[1]s IS NULL OR group_id = %[1]s) GROUP BY 1, 2
UNION ALL
SELECT group_id, compliant::text, sum(n) FROM (
    SELECT group_id, compliant, count(*) AS n
    FROM agent_verdicts WHERE %[1]s IS NULL OR group_id = %[1]s GROUP BY 1, 2
    UNION ALL
    SELECT v.group_id, v.compliant, -count(*)
    FROM agents a JOIN agent_verdicts v ON v.agent_id = a.id
    WHERE (a.deleted_at IS NOT NULL OR a.status = 'decommissioned') AND (%[1]s IS NULL OR v.group_id = %[1]s)
    GROUP BY 1, 2
) v GROUP BY 1, 2`

// liveShares is every group's enrolled agents and compliant verdicts now,
// from groupCountsSQL: what the daily series records, the numbers the
// overview shows.
var liveShares = `
SELECT group_id, coalesce(sum(n) FILTER (WHERE key IN ('active', 'stale', 'offline')), 0)::int AS agents,
       coalesce(sum(n) FILTER (WHERE key = 'true'), 0)::int AS compliant
FROM (` + fleetCounts + `) c GROUP BY group_id
HAVING sum(n) FILTER (WHERE key IN ('active', 'stale', 'offline')) > 0`

// fleetCounts is groupCountsSQL over every group.
var fleetCounts = fmt.Sprintf(groupCountsSQL, "NULL::uuid")

// groupCount is one row of groupCountsSQL.
type groupCount struct {
	GroupID uuid.UUID `bun:"group_id,type:uuid"`
	Key     string    `bun:"key"`
	N       int       `bun:"n"`
}

// groupCounts runs groupCountsSQL for one group, or every group (NilID).
func groupCounts(ctx context.Context, db bun.IDB, groupID domain.ID) ([]groupCount, error) {
	q, args := fleetCounts, []any{}
	if !groupID.IsZero() {
		q, args = fmt.Sprintf(groupCountsSQL, "?0::uuid"), []any{uid(groupID)}
	}
	var rows []groupCount
	err := db.NewRaw(q, args...).Scan(ctx, &rows)
	return rows, err
}

// tally folds counts into s (agents by status, compliant or not) and
// answers each group's share, groups with enrolled agents only.
func tally(s *application.ComplianceSummary, rows []groupCount) []application.ComplianceShare {
	for _, st := range []agent.Status{agent.StatusActive, agent.StatusStale, agent.StatusOffline, agent.StatusDecommissioned} {
		s.AgentsByStatus[st] += 0
	}
	shares := map[uuid.UUID]*application.ComplianceShare{}
	var order []uuid.UUID
	share := func(g uuid.UUID) *application.ComplianceShare {
		if sh, ok := shares[g]; ok {
			return sh
		}
		order = append(order, g)
		shares[g] = &application.ComplianceShare{GroupID: domain.ID(g)}
		return shares[g]
	}
	for _, r := range rows {
		switch r.Key {
		case "true":
			s.Compliant += r.N
			share(r.GroupID).Compliant += r.N
		case "false":
			s.NonCompliant += r.N
		default:
			s.AgentsByStatus[agent.Status(r.Key)] += r.N
			if agent.Status(r.Key) != agent.StatusDecommissioned {
				s.Agents += r.N
				share(r.GroupID).Agents += r.N
			}
		}
	}
	s.NotReported = max(s.Agents-s.Compliant-s.NonCompliant, 0)
	out := make([]application.ComplianceShare, 0, len(order))
	for _, g := range order {
		if sh := shares[g]; sh.Agents > 0 {
			out = append(out, *sh)
		}
	}
	return out
}
