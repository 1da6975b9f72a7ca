package postgres

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// VerdictInventory reads enrolled agents' current inventories for a policy
// plan's verdict impact.
type VerdictInventory struct{ db *bun.DB }

var _ application.VerdictInventory = (*VerdictInventory)(nil)

// NewVerdictInventory returns the reader on db.
func NewVerdictInventory(db *bun.DB) *VerdictInventory { return &VerdictInventory{db: db} }

// enrolledOnly keeps the installations of enrolled agents, subtracting the
// few retired ones through agents_retired_idx (as the blocklist impact does)
// rather than joining every row to agents.
const enrolledOnly = ` AND i.agent_id NOT IN (SELECT r.id FROM agents r WHERE r.deleted_at IS NOT NULL OR r.status = 'decommissioned')`

const inventoryColumns = `SELECT i.agent_id, i.group_id, i.editor, i.extension_id, coalesce(i.installed_version, ''), coalesce(i.extension_sha256, '')
FROM installations i `

// Selected reads the rows of the selected ids and publishers (the extension
// and publisher indexes) and of whole groups (the group index), in one pass;
// each row is kept only if its own group's selection selects it. With
// agentIDs, only those agents' rows: a filter on the rows the indexes find,
// not a walk of each agent's whole inventory.
func (v *VerdictInventory) Selected(ctx context.Context, sels []application.GroupSelection, agentIDs []domain.ID) ([]application.AgentInventory, error) {
	q := selectionOf(sels)
	query := inventoryColumns + `WHERE (i.extension_id = ANY (?0) OR i.publisher = ANY (?1) OR i.group_id = ANY (?2::uuid[]))
  AND (i.group_id = ANY (?2::uuid[])
       OR (i.group_id, i.extension_id) IN (SELECT g, x FROM unnest(?3::uuid[], ?4::text[]) AS s(g, x))
       OR (i.group_id, i.publisher) IN (SELECT g, p FROM unnest(?5::uuid[], ?6::text[]) AS s(g, p)))` + enrolledOnly
	args := []any{stringArray(q.ids), stringArray(q.publishers), uuidArray(q.whole),
		uuidArray(q.idGroups), stringArray(q.groupIDs), uuidArray(q.publisherGroups), stringArray(q.groupPublishers)}
	if agentIDs != nil {
		query += ` AND i.agent_id = ANY (?7::uuid[])`
		args = append(args, uuidArray(uuids(agentIDs)))
	}
	var out []application.AgentInventory
	err := inLargeRead(ctx, v.db, func(ctx context.Context) (err error) {
		out, err = v.scan(ctx, query, args...)
		return err
	})
	return out, err
}

// selectionArgs are a plan's group selections as query arrays: the
// distinct ids and publishers (for the indexes), the whole groups, and the
// (group, id) and (group, publisher) pairs.
type selectionArgs struct {
	ids, publishers           []string
	whole                     []uuid.UUID
	idGroups, publisherGroups []uuid.UUID
	groupIDs, groupPublishers []string
}

func selectionOf(sels []application.GroupSelection) selectionArgs {
	q := selectionArgs{ids: []string{}, publishers: []string{}, whole: []uuid.UUID{},
		idGroups: []uuid.UUID{}, publisherGroups: []uuid.UUID{}, groupIDs: []string{}, groupPublishers: []string{}}
	seen := map[string]bool{}
	once := func(list []string, key string) []string {
		if seen[key] {
			return list
		}
		seen[key] = true
		return append(list, key[1:])
	}
	for _, s := range sels {
		g := uid(s.GroupID)
		if s.Whole {
			q.whole = append(q.whole, g)
			continue
		}
		for _, x := range s.ExtensionIDs {
			q.ids = once(q.ids, "i"+x)
			q.idGroups, q.groupIDs = append(q.idGroups, g), append(q.groupIDs, x)
		}
		for _, p := range s.Publishers {
			q.publishers = once(q.publishers, "p"+p)
			q.publisherGroups, q.groupPublishers = append(q.publisherGroups, g), append(q.groupPublishers, p)
		}
	}
	return q
}

// inventoryChunk bounds the agents of one query.
const inventoryChunk = 5000

// Inventories reads the agents' whole inventories (the primary key leads
// with agent_id), a chunk of agents per query.
func (v *VerdictInventory) Inventories(ctx context.Context, agentIDs []domain.ID) ([]application.AgentInventory, error) {
	var out []application.AgentInventory
	for start := 0; start < len(agentIDs); start += inventoryChunk {
		end := min(start+inventoryChunk, len(agentIDs))
		part, err := v.scan(ctx, inventoryColumns+`WHERE i.agent_id = ANY (?0::uuid[])`, uuidArray(uuids(agentIDs[start:end])))
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// GroupAgents lists the groups' enrolled agents.
func (v *VerdictInventory) GroupAgents(ctx context.Context, groups []domain.ID) ([]application.AgentInventory, error) {
	rows, err := conn(ctx, v.db).QueryContext(ctx, `SELECT id, group_id FROM agents
WHERE group_id = ANY (?::uuid[]) AND deleted_at IS NULL AND status <> 'decommissioned'`, uuidArray(uuids(groups)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []application.AgentInventory
	for rows.Next() {
		var a, g uuid.UUID
		if err := rows.Scan(&a, &g); err != nil {
			return nil, err
		}
		out = append(out, application.AgentInventory{AgentID: did(a), GroupID: did(g)})
	}
	return out, rows.Err()
}

// scan reads inventory rows by hand rather than through bun's reflection:
// a plan may read hundreds of thousands of them.
func (v *VerdictInventory) scan(ctx context.Context, query string, args ...any) ([]application.AgentInventory, error) {
	rows, err := conn(ctx, v.db).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	at := map[uuid.UUID]int{}
	var out []application.AgentInventory
	var agent, grp uuid.UUID
	var editor, ext, version, sha string
	for rows.Next() {
		if err := rows.Scan(&agent, &grp, &editor, &ext, &version, &sha); err != nil {
			return nil, err
		}
		i, ok := at[agent]
		if !ok {
			i = len(out)
			at[agent] = i
			out = append(out, application.AgentInventory{AgentID: did(agent), GroupID: did(grp)})
		}
		out[i].Items = append(out[i].Items, report.RehydrateItem(report.ItemParams{ExtensionID: ext, Installed: true,
			Version: version, SHA256: sha, Editor: editor}))
	}
	return out, rows.Err()
}

// StoredVerdicts reads the agents' rows of agent_verdicts, a chunk of
// agents per query.
func (v *VerdictInventory) StoredVerdicts(ctx context.Context, agentIDs []domain.ID) (map[domain.ID]application.StoredVerdict, error) {
	out := make(map[domain.ID]application.StoredVerdict, len(agentIDs))
	for start := 0; start < len(agentIDs); start += inventoryChunk {
		end := min(start+inventoryChunk, len(agentIDs))
		rows, err := conn(ctx, v.db).QueryContext(ctx, `SELECT agent_id, policy_etag, compliant, violations FROM agent_verdicts
WHERE agent_id = ANY (?::uuid[])`, uuidArray(uuids(agentIDs[start:end])))
		if err != nil {
			return nil, err
		}
		if err := scanVerdicts(rows, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanVerdicts(rows *sql.Rows, out map[domain.ID]application.StoredVerdict) error {
	defer rows.Close()
	var agent uuid.UUID
	var raw []byte
	for rows.Next() {
		var sv application.StoredVerdict
		if err := rows.Scan(&agent, &sv.PolicyETag, &sv.Compliant, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &sv.Violations); err != nil {
			return domain.Internal("the stored verdict of agent " + agent.String() + " does not parse")
		}
		out[did(agent)] = sv
	}
	return rows.Err()
}
