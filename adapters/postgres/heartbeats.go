package postgres

import (
	"context"
	"github.com/prometheus/client_golang/prometheus"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/agent"
)

// HeartbeatStore writes coalesced heartbeats and syncs. The agents table
// has fillfactor 70 and no index on last_heartbeat or last_sync, so these
// updates stay HOT (no index writes) unless the status changes.
type HeartbeatStore struct{ db *bun.DB }

var _ application.HeartbeatStore = (*HeartbeatStore)(nil)

// NewHeartbeatStore returns the store on db.
func NewHeartbeatStore(db *bun.DB) *HeartbeatStore { return &HeartbeatStore{db: db} }

// ApplyHeartbeats writes a batch in one statement. The rows are locked in
// id order first (so concurrent flushes of several instances cannot
// deadlock), which also gives the status each agent had before, to report
// the ones the heartbeat revived. The lock is FOR NO KEY UPDATE, the one the
// UPDATE takes anyway (it changes no key): FOR UPDATE would also conflict
// with the KEY SHARE locks that report batches' foreign-key checks hold on
// their agents, so a flush waited for batches in flight and, as they then
// waited for rows it held, deadlocked with them under load.
func (s *HeartbeatStore) ApplyHeartbeats(ctx context.Context, updates []application.HeartbeatUpdate) ([]application.RevivedAgent, error) {
	defer observeFlush(time.Now())
	n := len(updates)
	ids := make([]uuid.UUID, n)
	hbs := make([]time.Time, n)
	syncs := make([]time.Time, n)
	versions := make([]string, n)
	for i, u := range updates {
		ids[i], versions[i] = uid(u.AgentID), u.AgentVersion
		hbs[i], syncs[i] = orEpoch(u.Heartbeat), orEpoch(u.Sync)
	}
	// The arrays go as bind parameters (binary), not through bun, which
	// formats them into the SQL text: each flush was then a new statement of
	// ~110 bytes per agent (360 KB at 100,000 agents, 3.6 MB at a million)
	// that PostgreSQL parsed and pgx prepared and kept in its per-connection
	// statement cache (51 MB of the server's heap in the 100,000-agent fleet
	// run). One text is prepared once per connection.
	rows, err := sqlQuerier(ctx, s.db).QueryContext(ctx, applyHeartbeatsSQL, ids, hbs, syncs, versions)
	if err != nil {
		return nil, translate(err, "heartbeats")
	}
	defer rows.Close()
	var revived []application.RevivedAgent
	for rows.Next() {
		var id, groupID uuid.UUID
		var prev string
		if err := rows.Scan(&id, &groupID, &prev); err != nil {
			return nil, translate(err, "heartbeats")
		}
		revived = append(revived, application.RevivedAgent{AgentID: did(id), GroupID: did(groupID), From: agent.Status(prev)})
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "heartbeats")
	}
	return revived, nil
}

// applyHeartbeatsSQL writes the batch ($1 ids, $2 heartbeats, $3 syncs,
// $4 versions). The epoch stands for "no contact of that kind": it never
// moves a timestamp forward. Only the revived rows come back (in a steady
// fleet, none): returning every row made a flush of 2,000 agents send and
// scan 2,000 rows.
const applyHeartbeatsSQL = `
WITH u AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[]) AS u(id, hb, sync, version)
), prev AS (
    SELECT a.id, a.status FROM agents a JOIN u ON u.id = a.id
    WHERE a.deleted_at IS NULL ORDER BY a.id FOR NO KEY UPDATE OF a
), updated AS (
    UPDATE agents AS a SET
        last_heartbeat = GREATEST(a.last_heartbeat, NULLIF(u.hb, 'epoch')),
        last_sync      = GREATEST(a.last_sync, NULLIF(u.sync, 'epoch')),
        agent_version  = COALESCE(NULLIF(u.version, ''), a.agent_version),
        status         = CASE WHEN u.hb > 'epoch' AND a.status IN ('stale', 'offline') THEN 'active' ELSE a.status END,
        updated_at     = CASE WHEN u.hb > 'epoch' AND a.status IN ('stale', 'offline') THEN now() ELSE a.updated_at END
    FROM u JOIN prev ON prev.id = u.id
    WHERE a.id = u.id
    RETURNING a.id, a.group_id, prev.status AS prev, a.status
)
SELECT id, group_id, prev FROM updated WHERE prev <> status`

func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

// heartbeatFlushDuration is how long each flush's statement takes: it must
// stay well within EXTGUARD_HEARTBEAT_FLUSH_INTERVAL at fleet scale (the
// fleet simulator, cmd/extguard-fleet, prints it).
var heartbeatFlushDuration = func() prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "extguard_heartbeat_flush_duration_seconds",
		Help:    "Duration of each coalesced heartbeat flush to PostgreSQL",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	})
	prometheus.MustRegister(h)
	return h
}()

func observeFlush(start time.Time) { heartbeatFlushDuration.Observe(time.Since(start).Seconds()) }
