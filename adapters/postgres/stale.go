package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
)

// AgentLiveness marks silent agents stale or offline.
type AgentLiveness struct{ db *bun.DB }

var _ application.AgentLiveness = (*AgentLiveness)(nil)

// NewAgentLiveness returns the stale scanner's repository on db.
func NewAgentLiveness(db *bun.DB) *AgentLiveness { return &AgentLiveness{db: db} }

// staleScanSQL does a whole scan in one statement: per-group thresholds from
// the settings jsonb with the domain's defaults (group.Settings: heartbeat
// 60 s, stale after 3 heartbeats, offline after a day), the transitions, one
// audit row per transition and the outbox rows of those audit rows.
//
// The thresholds are computed once per group (MATERIALIZED: inlined, the
// jsonb would be parsed once per agent). A heartbeat flush racing the scan wins: the UPDATE re-checks status and
// last_heartbeat on the row it finally locks, so an agent that just spoke is
// not marked silent. last_heartbeat is not indexed (heartbeat updates stay
// HOT), so this is one sequential pass over agents, which at 100,000 rows
// takes tens of milliseconds.
var staleScanSQL = `
WITH thresholds AS MATERIALIZED (
    SELECT g.id AS group_id, t.stale_s, t.offline_s,
        ?0::timestamptz - t.stale_s * interval '1 second' AS stale_before,
        ?0::timestamptz - t.offline_s * interval '1 second' AS offline_before
    FROM groups g, LATERAL (SELECT
        COALESCE(CASE WHEN jsonb_typeof(g.settings->'stale_after_s') = 'number' THEN (g.settings->>'stale_after_s')::bigint END,
                 3 * COALESCE(CASE WHEN jsonb_typeof(g.settings->'heartbeat_interval_s') = 'number' THEN (g.settings->>'heartbeat_interval_s')::bigint END, 60)
        ) AS stale_s,
        COALESCE(CASE WHEN jsonb_typeof(g.settings->'offline_after_s') = 'number' THEN (g.settings->>'offline_after_s')::bigint END, 86400) AS offline_s
    ) t
),
due AS (
    SELECT a.id, a.group_id, a.status AS from_status, a.last_heartbeat,
        CASE WHEN COALESCE(a.last_heartbeat, a.created_at) < t.offline_before THEN 'offline' ELSE 'stale' END AS to_status,
        t.stale_s, t.offline_s
    FROM agents a JOIN thresholds t ON t.group_id = a.group_id
    WHERE a.deleted_at IS NULL AND a.status IN ('active', 'stale')
      AND COALESCE(a.last_heartbeat, a.created_at) < t.stale_before
),
moved AS (
    UPDATE agents a SET status = d.to_status, updated_at = ?0::timestamptz
    FROM due d
    WHERE a.id = d.id AND d.to_status <> d.from_status
      AND a.status = d.from_status AND a.last_heartbeat IS NOT DISTINCT FROM d.last_heartbeat
      AND a.deleted_at IS NULL
    RETURNING a.id, a.group_id, d.from_status, d.to_status, d.last_heartbeat, d.stale_s, d.offline_s
),
ev AS (
    INSERT INTO audit_log (id, event_type, actor_type, group_id, target_type, target_id, details, created_at)
    SELECT ` + sqlUUIDv7 + `, 'agent.status_changed', 'system', m.group_id, 'agent', m.id,
        jsonb_build_object('from', m.from_status, 'to', m.to_status, 'last_heartbeat', m.last_heartbeat,
                           'stale_after_s', m.stale_s, 'offline_after_s', m.offline_s),
        ?0::timestamptz
    FROM moved m
    RETURNING id, event_type
),
outbox AS (
    INSERT INTO webhook_deliveries (webhook_id, audit_id, next_attempt_at, trace_parent)
    SELECT w.id, ev.id, now(), ?1 FROM ev JOIN ` + subscribedWebhooks + `
)
SELECT count(*) FILTER (WHERE to_status = 'stale') AS stale,
       count(*) FILTER (WHERE to_status = 'offline') AS offline
FROM moved`

// MarkSilentAgents: see application.AgentLiveness.
func (l *AgentLiveness) MarkSilentAgents(ctx context.Context, now time.Time) (application.StaleScanResult, error) {
	var res struct {
		Stale   int `bun:"stale"`
		Offline int `bun:"offline"`
	}
	err := conn(ctx, l.db).NewRaw(staleScanSQL, now.UTC(), traceParent(ctx)).Scan(ctx, &res)
	return application.StaleScanResult{Stale: res.Stale, Offline: res.Offline}, err
}
