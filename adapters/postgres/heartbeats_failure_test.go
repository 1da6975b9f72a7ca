package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// auditFailingFor is the real audit log, failing the appends whose target is
// in fail (once each).
type auditFailingFor struct {
	application.AuditLog
	fail map[domain.ID]bool
}

var errAuditDown = errors.New("audit log unavailable")

func (a *auditFailingFor) Append(ctx context.Context, e audit.Event) error {
	if a.fail[e.TargetID()] {
		delete(a.fail, e.TargetID())
		return errAuditDown
	}
	return a.AuditLog.Append(ctx, e)
}

// A flush whose second batch cannot write its audit row: the first batch
// stays written with its revival and that revival's audit row; the second
// and third are not written at all (a revived status never commits
// without its audit row); the whole flush waits for the next one, which
// writes the rest and audits every revival exactly once.
func TestHeartbeatFlushFailingInABatchLosesNoAuditRowAndDuplicatesNone(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	g, ids := seedAgents(t, ctx, db, 7) // batches of 3: ids[0:3], ids[3:6], ids[6]
	revived := []uuid.UUID{ids[0], ids[3], ids[6]}
	if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET status = 'offline' WHERE id = ANY($1)`, revived); err != nil {
		t.Fatal(err)
	}
	log := &auditFailingFor{AuditLog: postgres.NewAuditLog(db), fail: map[domain.ID]bool{domain.ID(ids[3]): true}}
	buf := application.NewHeartbeatBuffer(postgres.NewHeartbeatStoreOfBatch(db, 3), log, nil, time.Hour)
	at := time.Now().UTC().Truncate(time.Microsecond)
	for _, id := range ids {
		buf.Heartbeat(domain.ID(id), at, "")
	}
	if err := buf.Flush(ctx); !errors.Is(err, errAuditDown) {
		t.Fatalf("flush: %v, want the audit's failure", err)
	}
	written := func() int {
		return countRows(t, db, `SELECT count(*) FROM agents WHERE group_id = ? AND last_heartbeat = ?`, g.String(), at)
	}
	events := func(id uuid.UUID) int {
		return countRows(t, db, `SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ?
			AND details->>'to' = 'active'`, id.String())
	}
	status := func(id uuid.UUID) string {
		return scanString(t, db, `SELECT status FROM agents WHERE id = ?`, id.String())
	}
	if n := written(); n != 3 {
		t.Errorf("after the failed flush %d agents carry its heartbeat, want the first batch's 3", n)
	}
	if status(ids[0]) != "active" || events(ids[0]) != 1 {
		t.Errorf("first batch: agent %s, %d revival events; want active with one", status(ids[0]), events(ids[0]))
	}
	for _, id := range revived[1:] {
		if status(id) != "offline" || events(id) != 0 {
			t.Errorf("agent %s of a failed or later batch: %s with %d revival events, want offline with none", id, status(id), events(id))
		}
	}
	if n := buf.Pending(); n != len(ids) {
		t.Errorf("%d agents pending after the failure, want the whole flush's %d", n, len(ids))
	}

	if err := buf.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := written(); n != len(ids) {
		t.Errorf("after the retry %d of %d agents carry the heartbeat", n, len(ids))
	}
	for _, id := range revived {
		if status(id) != "active" || events(id) != 1 {
			t.Errorf("agent %s after the retry: %s with %d revival events, want active with exactly one", id, status(id), events(id))
		}
	}
	if n := buf.Pending(); n != 0 {
		t.Errorf("%d agents still pending", n)
	}
}

// In a transaction ctx already carries, every batch joins it: one
// transaction, and nothing stays written when it rolls back.
func TestHeartbeatFlushJoinsTheTransactionItIsGiven(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	g, ids := seedAgents(t, ctx, db, 7)
	if _, err := db.DB.ExecContext(ctx, `UPDATE agents SET status = 'stale' WHERE id = ANY($1)`, []uuid.UUID{ids[0], ids[6]}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	updates := make([]application.HeartbeatUpdate, len(ids))
	for i, id := range ids {
		updates[i] = application.HeartbeatUpdate{AgentID: domain.ID(id), Heartbeat: at}
	}
	var outer int64
	var txs []int64
	errRollback := errors.New("roll back")
	err := postgres.NewTxRunner(db).InTx(ctx, func(ctx context.Context) error {
		var err error
		if outer, err = postgres.QueryIntInTx(ctx, db, `SELECT txid_current()`); err != nil {
			return err
		}
		err = postgres.NewHeartbeatStoreOfBatch(db, 3).ApplyHeartbeats(ctx, updates, func(ctx context.Context, _ []application.RevivedAgent) error {
			tx, err := postgres.QueryIntInTx(ctx, db, `SELECT txid_current()`)
			txs = append(txs, tx)
			return err
		})
		if err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if len(txs) != 2 || txs[0] != outer || txs[1] != outer {
		t.Errorf("the revivals' batches ran in transactions %v, want both in the outer %d", txs, outer)
	}
	if n := countRows(t, db, `SELECT count(*) FROM agents WHERE group_id = ? AND (last_heartbeat = ? OR status = 'active' AND id IN (?, ?))`,
		g.String(), at, ids[0].String(), ids[6].String()); n != 0 {
		t.Errorf("%d agents written by a rolled-back flush", n)
	}
}
