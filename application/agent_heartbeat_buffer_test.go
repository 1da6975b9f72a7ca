package application_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// heartbeatStore stands in for PostgreSQL (the statement itself is tested
// in adapters/postgres): it keeps what each flush wrote, or fails.
type heartbeatStore struct {
	fail    bool
	writing func() // runs during the write, as requests go on during a flush
	flushed [][]application.HeartbeatUpdate
}

func (s *heartbeatStore) ApplyHeartbeats(_ context.Context, u []application.HeartbeatUpdate,
	_ func(context.Context, []application.RevivedAgent) error) error {
	if s.writing != nil {
		s.writing()
	}
	if s.fail {
		return errors.New("database down")
	}
	s.flushed = append(s.flushed, u)
	return nil
}

type discardAudit struct{}

func (discardAudit) Append(context.Context, audit.Event) error { return nil }

// The buffer keeps, per agent, the latest heartbeat and sync and the
// newest contact's agent version, also across a flush that failed.
func TestHeartbeatBufferCoalescesAndKeepsAFailedFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &heartbeatStore{}
	buf := application.NewHeartbeatBuffer(store, discardAudit{}, nil, time.Hour)
	a, b := domain.NewID(), domain.NewID()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	buf.Heartbeat(a, at(1), "1.0.0")
	buf.Synced(a, at(2))
	buf.Heartbeat(a, at(3), "") // no version: keeps 1.0.0
	buf.Heartbeat(b, at(1), "")
	if buf.Pending() != 2 {
		t.Fatalf("%d agents pending, want 2", buf.Pending())
	}

	// A contact that comes in while the write fails is newer than what the
	// failed batch held; merging the batch back must not undo it.
	store.fail = true
	store.writing = func() { buf.Heartbeat(a, at(4), "2.0.0") }
	if err := buf.Flush(ctx); err == nil {
		t.Fatal("a failed write was not reported")
	}
	store.fail, store.writing = false, nil
	if err := buf.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(store.flushed) != 1 || len(store.flushed[0]) != 2 {
		t.Fatalf("flushes %v, want one write of both agents", store.flushed)
	}
	got := map[domain.ID]application.HeartbeatUpdate{}
	for _, u := range store.flushed[0] {
		got[u.AgentID] = u
	}
	want := map[domain.ID]application.HeartbeatUpdate{
		a: {AgentID: a, Heartbeat: at(4), Sync: at(2), AgentVersion: "2.0.0"},
		b: {AgentID: b, Heartbeat: at(1)},
	}
	for id, w := range want {
		if g := got[id]; !g.Heartbeat.Equal(w.Heartbeat) || !g.Sync.Equal(w.Sync) || g.AgentVersion != w.AgentVersion || g.AgentID != id {
			t.Errorf("agent %s: wrote %+v, want %+v", id, g, w)
		}
	}
	if buf.Pending() != 0 {
		t.Errorf("%d agents still pending after a flush", buf.Pending())
	}
}

// Versions are interned per shard up to a bound; past it, and whatever an
// agent announces, every agent's own version is what the flush writes.
func TestHeartbeatBufferWritesEachAgentsVersionPastTheInternedOnes(t *testing.T) {
	t.Parallel()
	store := &heartbeatStore{}
	buf := application.NewHeartbeatBuffer(store, discardAudit{}, nil, time.Hour)
	at := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	want := map[domain.ID]string{}
	for i := range 3000 { // ~190 agents per shard, a version each, and some sharing one
		id, v := domain.NewID(), fmt.Sprintf("1.%d.0", i%700)
		buf.Heartbeat(id, at, v)
		want[id] = v
	}
	if err := buf.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(store.flushed) != 1 || len(store.flushed[0]) != len(want) {
		t.Fatalf("flushes %d, want one of %d agents", len(store.flushed), len(want))
	}
	for _, u := range store.flushed[0] {
		if u.AgentVersion != want[u.AgentID] || !u.Heartbeat.Equal(at) || !u.Sync.IsZero() {
			t.Fatalf("agent %s: wrote version %q at %s (sync %s), want %q at %s and no sync",
				u.AgentID, u.AgentVersion, u.Heartbeat, u.Sync, want[u.AgentID], at)
		}
	}
}
