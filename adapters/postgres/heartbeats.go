package postgres

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/agent"
)

// HeartbeatStore writes coalesced heartbeats and syncs. The agents table
// has fillfactor 70 and no index on last_heartbeat or last_sync, so these
// updates stay HOT (no index writes) unless the status changes.
type HeartbeatStore struct {
	db    *bun.DB
	tx    *TxRunner
	batch int // agents per statement and transaction
}

var _ application.HeartbeatStore = (*HeartbeatStore)(nil)

// heartbeatBatch bounds a flush's statements. One statement for a whole
// flush grew with the fleet: at a million agents, ~100,000 agents per
// statement took 10 s, past the 2 s interval, so the next flush was larger
// still, and every writer of those agents (a report, a re-enrollment, the
// stale scan) waited on its row locks for as long. BenchmarkHeartbeatFlush20kAgents (a flush of
// 20,000 agents in batches of 1,000 / 2,000 / 5,000 / 20,000, two runs
// at load 2.7 on 2 cores) took 158 / 144 / 150 / 177-221 ms per flush and
// 8 / 14 / 37 / 177-221 ms per batch: 2,000 is no slower in total than
// larger batches and holds its locks for ~15 ms.
const heartbeatBatch = 2000

// NewHeartbeatStore returns the store on db.
func NewHeartbeatStore(db *bun.DB) *HeartbeatStore {
	return &HeartbeatStore{db: db, tx: NewTxRunner(db), batch: heartbeatBatch}
}

// ApplyHeartbeats writes the updates in batches of at most s.batch agents,
// each one statement in its own transaction (or all in ctx's, when it
// carries one), so no flush holds row locks for longer than one batch.
// revived runs inside each batch's transaction with the agents that batch
// brought back, if any, so their audit rows commit with their status.
//
// The updates are written in id order, and each statement locks its rows in
// id order first, so concurrent flushes of several instances cannot
// deadlock even when every batch joins one transaction: every flush takes
// its locks in the same global order. The lock also gives the status each
// agent had before, to report the ones the heartbeat revived. It is FOR NO
// KEY UPDATE, the one the UPDATE takes anyway (it changes no key): FOR
// UPDATE would also conflict with the KEY SHARE locks that report batches'
// foreign-key checks hold on their agents, so a flush waited for batches in
// flight and, as they then waited for rows it held, deadlocked with them
// under load.
func (s *HeartbeatStore) ApplyHeartbeats(ctx context.Context, updates []application.HeartbeatUpdate,
	revived func(context.Context, []application.RevivedAgent) error) error {
	defer observe(heartbeatFlushDuration, time.Now())
	w := newHeartbeatBatchWriter(updates, s.batch)
	for w.next() {
		start := time.Now()
		err := s.tx.InTx(ctx, func(ctx context.Context) error {
			return s.applyBatch(ctx, w, revived)
		})
		observe(heartbeatBatchDuration, start)
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *HeartbeatStore) applyBatch(ctx context.Context, w *heartbeatBatchWriter,
	revived func(context.Context, []application.RevivedAgent) error) error {
	// The arrays go as bind parameters (binary), not through bun, which
	// formats them into the SQL text: each flush was then a new statement of
	// ~110 bytes per agent (360 KB at 100,000 agents, 3.6 MB at a million)
	// that PostgreSQL parsed and pgx prepared and kept in its per-connection
	// statement cache (51 MB of the server's heap in the 100,000-agent fleet
	// run). One text is prepared once per connection.
	rows, err := sqlQuerier(ctx, s.db).QueryContext(ctx, applyHeartbeatsSQL, w.ids, w.hbs, w.syncs, w.versions)
	if err != nil {
		return translate(err, "heartbeats")
	}
	defer rows.Close()
	var back []application.RevivedAgent
	for rows.Next() {
		var id, groupID uuid.UUID
		var prev string
		if err := rows.Scan(&id, &groupID, &prev); err != nil {
			return translate(err, "heartbeats")
		}
		back = append(back, application.RevivedAgent{AgentID: did(id), GroupID: did(groupID), From: agent.Status(prev)})
	}
	if err := rows.Err(); err != nil {
		return translate(err, "heartbeats")
	}
	if len(back) == 0 {
		return nil
	}
	return revived(ctx, back)
}

// heartbeatBatchWriter walks the updates in id order, one batch of
// bind-parameter arrays at a time (reused from batch to batch).
type heartbeatBatchWriter struct {
	updates []application.HeartbeatUpdate
	order   []heartbeatKey
	size    int
	// The current batch.
	ids        []uuid.UUID
	hbs, syncs []time.Time
	versions   []string
}

// heartbeatKey sorts the ids without moving the updates themselves.
type heartbeatKey struct {
	id uuid.UUID
	i  int
}

func newHeartbeatBatchWriter(updates []application.HeartbeatUpdate, size int) *heartbeatBatchWriter {
	order := make([]heartbeatKey, len(updates))
	for i, u := range updates {
		order[i] = heartbeatKey{id: uid(u.AgentID), i: i}
	}
	// bytes order is PostgreSQL's uuid order (memcmp), the one the
	// statement locks in.
	slices.SortFunc(order, func(a, b heartbeatKey) int { return bytes.Compare(a.id[:], b.id[:]) })
	n := min(size, len(updates))
	return &heartbeatBatchWriter{updates: updates, order: order, size: size,
		ids: make([]uuid.UUID, 0, n), hbs: make([]time.Time, 0, n), syncs: make([]time.Time, 0, n), versions: make([]string, 0, n)}
}

// next fills the next batch; false when every update was taken.
func (w *heartbeatBatchWriter) next() bool {
	if len(w.order) == 0 {
		return false
	}
	batch := w.order[:min(w.size, len(w.order))]
	w.order = w.order[len(batch):]
	w.ids, w.hbs, w.syncs, w.versions = w.ids[:0], w.hbs[:0], w.syncs[:0], w.versions[:0]
	for _, k := range batch {
		u := w.updates[k.i]
		w.ids = append(w.ids, k.id)
		w.hbs, w.syncs = append(w.hbs, orEpoch(u.Heartbeat)), append(w.syncs, orEpoch(u.Sync))
		w.versions = append(w.versions, u.AgentVersion)
	}
	return true
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

// heartbeatFlushDuration is how long each flush takes, all its batches: it
// must stay well within EXTGUARD_HEARTBEAT_FLUSH_INTERVAL at fleet scale
// (the fleet simulator, cmd/extguard-fleet, prints it).
var heartbeatFlushDuration = newDurationHistogram("extguard_heartbeat_flush_duration_seconds",
	"Duration of each coalesced heartbeat flush to PostgreSQL, all its batches")

// heartbeatBatchDuration is how long each batch takes, its statement, the
// revived agents' audit rows and the commit: how long its agents stay
// locked (when the flush runs in no outer transaction).
var heartbeatBatchDuration = newDurationHistogram("extguard_heartbeat_flush_batch_duration_seconds",
	"Duration of each batch (one statement and transaction) of a heartbeat flush")

func newDurationHistogram(name, help string) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help,
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}})
	prometheus.MustRegister(h)
	return h
}

func observe(h prometheus.Histogram, start time.Time) { h.Observe(time.Since(start).Seconds()) }
