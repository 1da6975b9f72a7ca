package application

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
)

// HeartbeatBuffer coalesces heartbeats and policy syncs in memory (the latest
// of each per agent) and writes them every flush interval in batched
// statements, so 100,000 agents cost 50 UPDATEs per interval instead of
// 1,700 per second. Agents a heartbeat brings back from stale or offline
// are audited in the same transaction. A crash loses at most one interval
// of liveness (last_heartbeat / last_sync), never an enrollment or report;
// the stale scanner's thresholds are many intervals long.
type HeartbeatBuffer struct {
	store    HeartbeatStore
	audit    AuditLog
	log      *slog.Logger
	interval time.Duration

	// Every heartbeat and policy sync writes here, from every core: the
	// pending contacts are sharded by agent so that two requests rarely
	// contend for one lock.
	shards  [heartbeatShards]heartbeatShard
	flushes atomic.Int64
}

const heartbeatShards = 16

// heartbeatShard holds pointers so that an agent's second contact in an
// interval is merged in place: one map lookup, no insert.
type heartbeatShard struct {
	mu      sync.Mutex
	pending map[domain.ID]*HeartbeatUpdate
	_       [48]byte // one cache line per shard
}

func (l *HeartbeatBuffer) shard(id domain.ID) *heartbeatShard {
	return &l.shards[id[len(id)-1]%heartbeatShards] // UUIDs end in random bits
}

// note merges a contact into id's pending update: later times win, and
// the contact's agent version unless it has none.
func (l *HeartbeatBuffer) note(id domain.ID, contact HeartbeatUpdate) {
	contact.AgentID = id
	s := l.shard(id)
	s.mu.Lock()
	s.merge(contact)
	s.mu.Unlock()
}

// merge merges u, the newest contact, into its agent's pending update; s.mu
// is held.
func (s *heartbeatShard) merge(u HeartbeatUpdate) {
	if p, ok := s.pending[u.AgentID]; ok {
		*p = mergeHeartbeats(*p, u)
		return
	}
	p := new(HeartbeatUpdate) // not &u: u would then be allocated on every call
	*p = u
	s.pending[u.AgentID] = p
}

// NewHeartbeatBuffer returns a buffer flushed every interval by Run.
func NewHeartbeatBuffer(store HeartbeatStore, log AuditLog, logger *slog.Logger, interval time.Duration) *HeartbeatBuffer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &HeartbeatBuffer{store: store, audit: log, log: logger, interval: interval}
	for i := range l.shards {
		l.shards[i].pending = map[domain.ID]*HeartbeatUpdate{}
	}
	return l
}

// Heartbeat notes contact at at; version "" keeps the stored one.
func (l *HeartbeatBuffer) Heartbeat(id domain.ID, at time.Time, version string) {
	l.note(id, HeartbeatUpdate{Heartbeat: at, AgentVersion: version})
}

// Synced notes a policy fetch at at.
func (l *HeartbeatBuffer) Synced(id domain.ID, at time.Time) {
	l.note(id, HeartbeatUpdate{Sync: at})
}

// Pending is how many agents wait for the next flush.
func (l *HeartbeatBuffer) Pending() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.pending)
		s.mu.Unlock()
	}
	return n
}

// Flushes is how many batches were written (for the load report).
func (l *HeartbeatBuffer) Flushes() int64 { return l.flushes.Load() }

// Flush writes everything pending (in the store's batches). On failure the
// batch is merged back (newer contact wins) and retried at the next flush.
func (l *HeartbeatBuffer) Flush(ctx context.Context) error {
	batch := map[domain.ID]HeartbeatUpdate{}
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		taken := s.pending
		s.pending = make(map[domain.ID]*HeartbeatUpdate, len(taken))
		s.mu.Unlock()
		for id, u := range taken {
			batch[id] = *u
		}
	}
	if len(batch) == 0 {
		return nil
	}
	updates := make([]HeartbeatUpdate, 0, len(batch))
	for _, u := range batch {
		updates = append(updates, u)
	}
	// Each batch of the write is its own transaction, its revived agents'
	// audit rows in it; a batch already written is written again by the retry
	// (the timestamps only move forward, so that changes nothing).
	err := l.store.ApplyHeartbeats(ctx, updates, func(ctx context.Context, revived []RevivedAgent) error {
		for _, r := range revived {
			ev, err := audit.NewEvent(audit.EventParams{Type: audit.AgentStatusChanged,
				Actor: audit.Actor{Type: audit.ActorAgent, ID: r.AgentID}, GroupID: r.GroupID,
				TargetType: audit.TargetAgent, TargetID: r.AgentID, CreatedAt: batch[r.AgentID].Heartbeat,
				Details: map[string]any{"from": string(r.From), "to": string(agent.StatusActive), "reason": "heartbeat"}})
			if err != nil {
				return err
			}
			if err := l.audit.Append(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for id, old := range batch {
			s := l.shard(id)
			s.mu.Lock()
			if p, ok := s.pending[id]; ok {
				*p = mergeHeartbeats(old, *p) // what came in meanwhile is newer
			} else {
				s.pending[id] = &old
			}
			s.mu.Unlock()
		}
		return err
	}
	l.flushes.Add(1)
	return nil
}

func mergeHeartbeats(old, cur HeartbeatUpdate) HeartbeatUpdate {
	cur.AgentID = old.AgentID
	if old.Heartbeat.After(cur.Heartbeat) {
		cur.Heartbeat = old.Heartbeat
	}
	if old.Sync.After(cur.Sync) {
		cur.Sync = old.Sync
	}
	if cur.AgentVersion == "" {
		cur.AgentVersion = old.AgentVersion
	}
	return cur
}

// Run flushes every interval until ctx ends. The last flush is Close's,
// run after the HTTP server has drained so no heartbeat it accepted is left.
func (l *HeartbeatBuffer) Run(ctx context.Context) error {
	return Every(ctx, l.interval, func(ctx context.Context) {
		if err := l.Flush(ctx); err != nil {
			l.log.WarnContext(ctx, "flushing heartbeats failed; retrying next interval", "pending", l.Pending(), "error", err.Error())
		}
	})
}

// Close writes what is pending, within a bounded time.
func (l *HeartbeatBuffer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		l.log.Error("final heartbeat flush failed; this interval's liveness is lost", "agents", l.Pending(), "error", err.Error())
	}
}
