package application

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/audit"
)

// HeartbeatBuffer coalesces heartbeats and policy syncs in memory (the latest
// of each per agent) and writes them every flush interval in one batched
// statement, so 100,000 agents cost one UPDATE per interval instead of
// 1,700 per second. Agents a heartbeat brings back from stale or offline
// are audited in the same transaction. A crash loses at most one interval
// of liveness (last_heartbeat / last_sync), never an enrollment or report;
// the stale scanner's thresholds are many intervals long.
type HeartbeatBuffer struct {
	store    HeartbeatStore
	tx       Transactor
	audit    AuditLog
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[domain.ID]HeartbeatUpdate
	flushes int64
}

// NewHeartbeatBuffer returns a buffer flushed every interval by Run.
func NewHeartbeatBuffer(store HeartbeatStore, tx Transactor, log AuditLog, logger *slog.Logger, interval time.Duration) *HeartbeatBuffer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &HeartbeatBuffer{store: store, tx: tx, audit: log, log: logger, interval: interval,
		pending: map[domain.ID]HeartbeatUpdate{}}
}

// Heartbeat notes contact at at; version "" keeps the stored one.
func (l *HeartbeatBuffer) Heartbeat(id domain.ID, at time.Time, version string) {
	l.mu.Lock()
	u := l.pending[id]
	u.AgentID = id
	if at.After(u.Heartbeat) {
		u.Heartbeat = at
	}
	if version != "" {
		u.AgentVersion = version
	}
	l.pending[id] = u
	l.mu.Unlock()
}

// Synced notes a policy fetch at at.
func (l *HeartbeatBuffer) Synced(id domain.ID, at time.Time) {
	l.mu.Lock()
	u := l.pending[id]
	u.AgentID = id
	if at.After(u.Sync) {
		u.Sync = at
	}
	l.pending[id] = u
	l.mu.Unlock()
}

// Pending is how many agents wait for the next flush.
func (l *HeartbeatBuffer) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// Flushes is how many batches were written (for the load report).
func (l *HeartbeatBuffer) Flushes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushes
}

// Flush writes everything pending in one transaction. On failure the batch
// is merged back (newer contact wins) and retried at the next flush.
func (l *HeartbeatBuffer) Flush(ctx context.Context) error {
	l.mu.Lock()
	batch := l.pending
	l.pending = make(map[domain.ID]HeartbeatUpdate, len(batch))
	l.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	updates := make([]HeartbeatUpdate, 0, len(batch))
	for _, u := range batch {
		updates = append(updates, u)
	}
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		revived, err := l.store.ApplyHeartbeats(ctx, updates)
		if err != nil {
			return err
		}
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
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		for id, old := range batch {
			l.pending[id] = mergeHeartbeats(old, l.pending[id])
		}
		return err
	}
	l.flushes++
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
