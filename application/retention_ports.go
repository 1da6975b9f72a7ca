package application

import (
	"context"
	"time"
)

// RetentionPolicy is how long each kind of history is kept; 0 keeps it
// forever.
type RetentionPolicy struct {
	Reports    time.Duration // reports (inventory history)
	Audit      time.Duration // audit_log
	Deliveries time.Duration // finished webhook deliveries and their attempts
}

// HistoryTable names a table partitioned by month.
type HistoryTable string

const (
	HistoryReports HistoryTable = "reports"
	HistoryAudit   HistoryTable = "audit_log"
)

// HistoryTables are the partitioned tables, in the order retention visits
// them.
var HistoryTables = []HistoryTable{HistoryReports, HistoryAudit}

// HistoryPartition is one month of one table: the rows written from From
// (inclusive) to To (exclusive).
type HistoryPartition struct {
	Table    HistoryTable
	Name     string
	From, To time.Time
}

// HistoryDrop is what dropping one partition did: the rows it removed and
// the still-valid states it carried into a kept partition first.
type HistoryDrop struct {
	Rows, Carried int64
}

// PartitionCreator creates the monthly partitions of the history tables.
type PartitionCreator interface {
	// CreateAhead makes sure every table has the partitions of the month of
	// now and of the months after it, up to months ahead; it answers the
	// names it created. Errors: unavailable, internal.
	CreateAhead(ctx context.Context, now time.Time, months int) ([]string, error)
}

// HistoryPartitions manages the monthly partitions of the history tables.
type HistoryPartitions interface {
	PartitionCreator
	// Expired lists table's month partitions whose every row was written
	// before cutoff (To <= cutoff), oldest first. Errors: unavailable,
	// internal.
	Expired(ctx context.Context, table HistoryTable, cutoff time.Time) ([]HistoryPartition, error)
	// Drop removes the partition whole inside ctx's transaction and answers
	// how many rows it held and how many states it carried forward: for
	// reports, each (agent, editor, extension) whose last row in the
	// partition is an installation (or a removal that a kept older row of
	// the key precedes) that no later row at or before cutoff replaced is
	// copied into the kept month of cutoff first, so time travel
	// after cutoff answers as before. Errors: conflict (rows of it are still
	// referenced: audit rows whose webhook deliveries are kept; or the
	// table is busy, so waiting for it would stall its writers; or a row's
	// own time, reported_at or created_at, is not before cutoff),
	// unavailable, internal.
	Drop(ctx context.Context, p HistoryPartition, cutoff time.Time) (HistoryDrop, error)
	// DeleteFinishedDeliveries deletes up to limit delivered or failed
	// webhook deliveries that finished before cutoff, with their attempts,
	// inside ctx's transaction, and answers how many deliveries it removed.
	// Errors: unavailable, internal.
	DeleteFinishedDeliveries(ctx context.Context, cutoff time.Time, limit int) (int64, error)
}
