package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// partitionsAhead is how many months past the current one always have
// their partitions: a missed run or two of the periodic task can never
// leave a write without a partition.
const partitionsAhead = 2

// deliveryBatch bounds each retention transaction over webhook deliveries
// (they are not partitioned: a delivery's row changes until it finishes).
const deliveryBatch = 5000

// ApplyRetention is the periodic history maintenance: it creates the
// months ahead's partitions, then removes what is older than the retention
// policy, each removal audited in its own transaction (fail-closed: no
// audit row, nothing removed). Deliveries go first, since a kept delivery
// keeps its audit row's partition.
type ApplyRetention struct {
	Tx         Transactor
	Partitions HistoryPartitions
	Audit      AuditLog
	Clock      Clock
	Policy     RetentionPolicy
}

// RetentionResult is what one run did.
type RetentionResult struct {
	Created    []string
	Dropped    []HistoryPartition
	Rows       int64 // rows of the dropped partitions
	Carried    int64 // states carried forward out of them (reports)
	Deliveries int64
	// Pinned are expired partitions kept because rows of them are still
	// referenced (audit rows of kept webhook deliveries), their table was
	// too busy to detach them, or they hold a legacy row younger than the
	// retention; the next run tries again.
	Pinned []HistoryPartition
}

// Execute runs one pass. Running it twice at once is harmless: a partition
// is dropped (and audited) once. Errors: unavailable, internal.
func (uc ApplyRetention) Execute(ctx context.Context) (_ RetentionResult, err error) {
	ctx, obs := observe(ctx, "ApplyRetention")
	defer obs.end(&err)
	now := uc.Clock.Now()
	var res RetentionResult
	if res.Created, err = uc.Partitions.CreateAhead(ctx, now, partitionsAhead); err != nil {
		return res, err
	}
	if keep := uc.Policy.Deliveries; keep > 0 {
		if res.Deliveries, err = uc.deleteDeliveries(ctx, now, keep); err != nil {
			return res, err
		}
	}
	for _, table := range HistoryTables {
		keep := uc.keep(table)
		if keep <= 0 {
			continue
		}
		expired, err := uc.Partitions.Expired(ctx, table, now.Add(-keep))
		if err != nil {
			return res, err
		}
		for _, p := range expired {
			d, err := uc.drop(ctx, p, now.Add(-keep), keep)
			switch {
			case domain.CodeOf(err) == domain.CodeConflict:
				res.Pinned = append(res.Pinned, p)
			case err != nil:
				return res, err
			default:
				res.Dropped, res.Rows, res.Carried = append(res.Dropped, p), res.Rows+d.Rows, res.Carried+d.Carried
			}
		}
	}
	return res, nil
}

func (uc ApplyRetention) keep(t HistoryTable) time.Duration {
	if t == HistoryAudit {
		return uc.Policy.Audit
	}
	return uc.Policy.Reports
}

// drop carries the partition's still-valid states forward, drops it and
// audits both, in one transaction: a failure at any step keeps everything.
func (uc ApplyRetention) drop(ctx context.Context, p HistoryPartition, cutoff time.Time, keep time.Duration) (d HistoryDrop, err error) {
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if d, err = uc.Partitions.Drop(ctx, p, cutoff); err != nil {
			return err
		}
		return uc.audit(ctx, map[string]any{"table": string(p.Table), "partition": p.Name,
			"from": p.From.UTC(), "to": p.To.UTC(), "rows": d.Rows, "carried": d.Carried,
			"cutoff": cutoff.UTC(), "retention": keep.String()})
	})
	return d, err
}

func (uc ApplyRetention) deleteDeliveries(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	var total int64
	cutoff := now.Add(-keep)
	for {
		var n int64
		err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			if n, err = uc.Partitions.DeleteFinishedDeliveries(ctx, cutoff, deliveryBatch); err != nil || n == 0 {
				return err
			}
			return uc.audit(ctx, map[string]any{"table": "webhook_deliveries", "finished_before": cutoff.UTC(),
				"rows": n, "retention": keep.String()})
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < deliveryBatch {
			return total, nil
		}
	}
}

func (uc ApplyRetention) audit(ctx context.Context, details map[string]any) error {
	return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.HistoryRetained, Actor: audit.SystemActor(),
		TargetType: audit.TargetHistory, Details: details})
}
