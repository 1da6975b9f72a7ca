package postgres_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// applyHeartbeats writes updates and collects every batch's revived agents.
func applyHeartbeats(ctx context.Context, s *postgres.HeartbeatStore, updates []application.HeartbeatUpdate) ([]application.RevivedAgent, error) {
	var all []application.RevivedAgent
	err := s.ApplyHeartbeats(ctx, updates, func(_ context.Context, r []application.RevivedAgent) error {
		all = append(all, r...)
		return nil
	})
	return all, err
}

// seedAgents inserts n active agents of a new group, heard from an hour
// ago, and returns the group and their ids in id order.
func seedAgents(tb testing.TB, ctx context.Context, db *bun.DB, n int) (domain.ID, []uuid.UUID) {
	tb.Helper()
	g := domain.NewID()
	if _, err := db.NewRaw(`INSERT INTO groups (id, name) VALUES (?, ?)`, g.String(), "hb-"+g.String()).Exec(ctx); err != nil {
		tb.Fatal(err)
	}
	rows, err := db.DB.QueryContext(ctx, `INSERT INTO agents (group_id, machine_id, status, last_heartbeat)
		SELECT $1, 'hb-' || i, 'active', now() - interval '1 hour' FROM generate_series(1, $2) i RETURNING id`, uuid.UUID(g), n)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return g, ids
}

// A flush of more agents than one batch writes them all, in batches of
// exactly the bound, in id order, each in its own transaction, and hands
// each batch's revived agents to the callback inside that transaction: the
// agents revived on both sides of each boundary, and the very last one
// (which an off-by-one in the batching drops).
func TestHeartbeatFlushWritesBoundedBatchesEachInItsOwnTransaction(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	const b = postgres.HeartbeatBatch
	g, ids := seedAgents(t, ctx, db, 2*b+1)
	silent := []int{0, b - 1, b, 2*b - 1, 2 * b}
	for _, i := range silent {
		if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET status = 'stale' WHERE id = $1`, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	updates := make([]application.HeartbeatUpdate, len(ids))
	for i, id := range ids {
		updates[i] = application.HeartbeatUpdate{AgentID: domain.ID(id), Heartbeat: now, AgentVersion: "9.9.9"}
	}
	rand.Shuffle(len(updates), func(i, j int) { updates[i], updates[j] = updates[j], updates[i] })

	type seen struct {
		revived []int // indexes into ids
		written int64 // agents of the group with the new heartbeat, as the batch's transaction sees them
		tx      int64 // the batch's transaction
	}
	var batches []seen
	index := map[uuid.UUID]int{}
	for i, id := range ids {
		index[id] = i
	}
	err := postgres.NewHeartbeatStore(db).ApplyHeartbeats(ctx, updates, func(ctx context.Context, r []application.RevivedAgent) error {
		var s seen
		for _, a := range r {
			s.revived = append(s.revived, index[uuid.UUID(a.AgentID)])
		}
		slices.Sort(s.revived)
		var err error
		if s.written, err = postgres.QueryIntInTx(ctx, db, `SELECT count(*) FROM agents WHERE group_id = $1 AND last_heartbeat = $2`, uuid.UUID(g), now); err != nil {
			return err
		}
		if s.tx, err = postgres.QueryIntInTx(ctx, db, `SELECT txid_current()`); err != nil {
			return err
		}
		batches = append(batches, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []seen{{revived: []int{0, b - 1}, written: b}, {revived: []int{b, 2*b - 1}, written: 2 * b}, {revived: []int{2 * b}, written: 2*b + 1}}
	if len(batches) != len(want) {
		t.Fatalf("revived agents came in %d batches %+v, want %d", len(batches), batches, len(want))
	}
	for i, w := range want {
		if got := batches[i]; !slices.Equal(got.revived, w.revived) || got.written != w.written {
			t.Errorf("batch %d: revived %v with %d agents written, want %v with %d", i, got.revived, got.written, w.revived, w.written)
		}
		if i > 0 && batches[i].tx == batches[i-1].tx {
			t.Errorf("batches %d and %d shared transaction %d", i-1, i, batches[i].tx)
		}
	}
	if n := countRows(t, db, `SELECT count(*) FROM agents WHERE group_id = ? AND last_heartbeat = ? AND agent_version = '9.9.9' AND status = 'active'`,
		g.String(), now); n != len(ids) {
		t.Errorf("%d of %d agents written", n, len(ids))
	}
}

// The buffer audits the agents a flush revived, in whichever batch they
// were, in that batch's transaction.
func TestHeartbeatBufferAuditsRevivalsOfEveryBatch(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	const b = postgres.HeartbeatBatch
	_, ids := seedAgents(t, ctx, db, b+1)
	if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET status = 'offline' WHERE id = ANY($1)`, []uuid.UUID{ids[0], ids[b]}); err != nil {
		t.Fatal(err)
	}
	buf := application.NewHeartbeatBuffer(postgres.NewHeartbeatStore(db), postgres.NewAuditLog(db), nil, time.Hour)
	for _, id := range ids {
		buf.Heartbeat(domain.ID(id), time.Now(), "")
	}
	if err := buf.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{ids[0], ids[b]} {
		if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ?
			AND details->>'from' = 'offline' AND details->>'to' = 'active'`, id.String()); n != 1 {
			t.Errorf("agent %s: %d revival events, want 1", id, n)
		}
	}
}

// BenchmarkHeartbeatFlush20kAgents writes a heartbeat of 20,000 agents in
// batches of each size (20000: one statement, as before batching); ms/batch
// is about how long a batch holds its agents' row locks.
func BenchmarkHeartbeatFlush20kAgents(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	_, ids := seedAgents(b, ctx, db, 20000)
	if _, err := db.DB.ExecContext(ctx, `ANALYZE agents`); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1000, 2000, 5000, 20000} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			store := postgres.NewHeartbeatStoreOfBatch(db, size)
			updates := make([]application.HeartbeatUpdate, len(ids))
			start := time.Now()
			for i := 0; i < b.N; i++ {
				now := time.Now()
				for j, id := range ids {
					updates[j] = application.HeartbeatUpdate{AgentID: domain.ID(id), Heartbeat: now}
				}
				if _, err := applyHeartbeats(ctx, store, updates); err != nil {
					b.Fatal(err)
				}
			}
			batches := float64(b.N * ((len(ids) + size - 1) / size))
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/batches, "ms/batch")
		})
	}
}
