package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// impactSQL is one statement, so counts and sample come from one snapshot.
// live reads only index columns (agent_id, extension_id and the included
// group_id: index-only scans of the extension and publisher indexes) and
// subtracts the few retired agents through agents_retired_idx rather than
// joining every matching agent to agents. It is inlined twice, for the
// counts and for the sample, in one of two forms (below). Only the sample's rows go back to the
// heap, for names, the first matching extension and its version. Counting
// a staple that 60,000 of 100,000 agents have stays within tens of
// milliseconds.
const impactSQL = `
WITH live AS NOT MATERIALIZED (
    SELECT i.group_id, i.agent_id
    FROM (%s) i
    WHERE i.agent_id NOT IN (SELECT r.id FROM agents r WHERE r.deleted_at IS NOT NULL OR r.status = 'decommissioned')
), per_group AS (
    SELECT group_id, count(*) AS agents FROM (%s) d GROUP BY group_id
), first AS (
    %s LIMIT ?2
)
SELECT 'group' AS facet, p.group_id, g.name AS group_name, g.settings, p.agents,
       NULL::uuid AS agent_id, '' AS display_name, '' AS machine_id, '' AS extension_id, NULL AS installed_version
FROM per_group p JOIN groups g ON g.id = p.group_id
UNION ALL
(SELECT 'agent', f.group_id, g.name, g.settings, 0, f.agent_id, a.display_name, a.machine_id, x.extension_id, x.installed_version
 FROM first f
 JOIN agents a ON a.id = f.agent_id
 JOIN groups g ON g.id = f.group_id
 CROSS JOIN LATERAL (SELECT m.extension_id, m.installed_version FROM installations m
                     WHERE m.agent_id = f.agent_id AND %s
                     ORDER BY m.extension_id, m.editor LIMIT 1) x
 ORDER BY f.agent_id)`

// The two forms of impactSQL's matching rows and of its one-row-per-agent
// step. One extension id (the common preview, and the costly one for a
// staple) reads installations_extension_idx in agent order, so agents are
// deduplicated by a Unique step over sorted input and the sample stops
// after its first rows; several ids or publishers are merged and hashed.
var (
	impactOneID = fmt.Sprintf(impactSQL, `SELECT group_id, agent_id FROM installations WHERE extension_id = ?0`,
		`SELECT DISTINCT ON (agent_id) agent_id, group_id FROM live ORDER BY agent_id`,
		`SELECT DISTINCT ON (agent_id) agent_id, group_id FROM live ORDER BY agent_id`, `m.extension_id = ?0`)
	impactMany = fmt.Sprintf(impactSQL, `SELECT group_id, agent_id FROM installations WHERE extension_id = ANY (?0)
          UNION ALL
          SELECT group_id, agent_id FROM installations WHERE publisher = ANY (?1)`,
		`SELECT DISTINCT group_id, agent_id FROM live`,
		`SELECT agent_id, group_id FROM live GROUP BY agent_id, group_id ORDER BY agent_id`,
		`(m.extension_id = ANY (?0) OR m.publisher = ANY (?1))`)
)

type impactRow struct {
	Facet       string         `bun:"facet"`
	GroupID     uuid.UUID      `bun:"group_id"`
	GroupName   string         `bun:"group_name"`
	Settings    []byte         `bun:"settings"`
	Agents      int            `bun:"agents"`
	AgentID     uuid.NullUUID  `bun:"agent_id"`
	DisplayName string         `bun:"display_name"`
	MachineID   string         `bun:"machine_id"`
	ExtensionID string         `bun:"extension_id"`
	Version     sql.NullString `bun:"installed_version"`
}

// Impact implements application.InstallationReader.
func (r *InstallationReader) Impact(ctx context.Context, sel application.ImpactSelector, sample int) ([]application.GroupImpact, []application.ImpactedAgent, error) {
	var rows []impactRow
	ids, publishers := sel.ExtensionIDs, sel.Publishers
	if ids == nil {
		ids = []string{}
	}
	if publishers == nil {
		publishers = []string{}
	}
	query, first := impactMany, any(stringArray(ids))
	if len(ids) == 1 && len(publishers) == 0 {
		query, first = impactOneID, ids[0]
	}
	if err := inLargeRead(ctx, r.db, func(ctx context.Context) error {
		return conn(ctx, r.db).NewRaw(query, first, stringArray(publishers), sample).Scan(ctx, &rows)
	}); err != nil {
		return nil, nil, err
	}
	var groups []application.GroupImpact
	var agents []application.ImpactedAgent
	enforcement := map[uuid.UUID]group.Enforcement{}
	for _, row := range rows {
		e, ok := enforcement[row.GroupID]
		if !ok {
			s, err := group.ParseSettings(row.Settings)
			if err != nil {
				return nil, nil, domain.Internal("stored settings of group " + row.GroupID.String() + " do not parse")
			}
			e = s.Enforcement()
			enforcement[row.GroupID] = e
		}
		if row.Facet == "group" {
			groups = append(groups, application.GroupImpact{GroupID: did(row.GroupID), GroupName: row.GroupName, Enforcement: e, Agents: row.Agents})
			continue
		}
		agents = append(agents, application.ImpactedAgent{AgentID: did(row.AgentID.UUID), DisplayName: row.DisplayName, MachineID: row.MachineID,
			GroupID: did(row.GroupID), GroupName: row.GroupName, Enforcement: e, ExtensionID: row.ExtensionID, Version: row.Version.String})
	}
	return groups, agents, nil
}
