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
	var rows []struct {
		ID      uuid.UUID `bun:"id"`
		GroupID uuid.UUID `bun:"group_id"`
		Prev    string    `bun:"prev"`
	}
	// The epoch stands for "no contact of that kind": it never moves a
	// timestamp forward. Only the revived rows come back (in a steady fleet,
	// none): returning every row made a flush of 2,000 agents send and scan
	// 2,000 rows.
	err := conn(ctx, s.db).NewRaw(`
WITH u AS (
    SELECT * FROM unnest(?::uuid[], ?::timestamptz[], ?::timestamptz[], ?::text[]) AS u(id, hb, sync, version)
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
SELECT id, group_id, prev FROM updated WHERE prev <> status`,
		uuidArray(ids), timeArray(hbs), timeArray(syncs), stringArray(versions)).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, "heartbeats")
	}
	revived := make([]application.RevivedAgent, 0, len(rows))
	for _, r := range rows {
		revived = append(revived, application.RevivedAgent{AgentID: did(r.ID), GroupID: did(r.GroupID), From: agent.Status(r.Prev)})
	}
	return revived, nil
}

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
