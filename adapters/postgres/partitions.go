package postgres

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// Partitions manages the monthly partitions of reports and audit_log
// (migration 20261203180001 explains the layout: ranges of UUIDv7 ids,
// named <table>_pYYYYMM, plus two legacy partitions never dropped).
type Partitions struct{ db *bun.DB }

var _ application.HistoryPartitions = (*Partitions)(nil)

// NewPartitions returns the partition manager on db.
func NewPartitions(db *bun.DB) *Partitions { return &Partitions{db: db} }

// CreateAhead creates the missing month partitions of every table, from
// now's month to months ahead, with the migration's SQL function.
func (p *Partitions) CreateAhead(ctx context.Context, now time.Time, months int) ([]string, error) {
	var created []string
	for _, table := range application.HistoryTables {
		for i := 0; i <= months; i++ {
			month := monthStart(now).AddDate(0, i, 0)
			made, err := p.createMonth(ctx, table, month)
			if err != nil {
				return created, err
			}
			if made {
				created = append(created, partitionName(table, month))
			}
		}
	}
	return created, nil
}

// createMonth creates table's partition of month unless it exists. Every
// API process and the worker create partitions ahead, so two may race for
// the same month: the loser's "already exists" (42P07, or 23505 on the
// catalog's unique index) means the partition is there, which is all it
// wanted.
func (p *Partitions) createMonth(ctx context.Context, table application.HistoryTable, month time.Time) (bool, error) {
	var made bool
	err := conn(ctx, p.db).NewRaw(`SELECT extguard_create_month_partition(?, ?)`, string(table), month).Scan(ctx, &made)
	if code := pgErrorCode(err); code == "42P07" || code == "23505" {
		return false, nil
	}
	return made, translate(err, "partition")
}

var monthPartition = regexp.MustCompile(`_p(\d{4})(\d{2})$`)

// Expired lists the month partitions of table that end at or before
// cutoff; the legacy partitions do not match the name pattern.
func (p *Partitions) Expired(ctx context.Context, table application.HistoryTable, cutoff time.Time) ([]application.HistoryPartition, error) {
	var names []string
	if err := conn(ctx, p.db).NewRaw(`SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ?::regclass ORDER BY c.relname`, string(table)).
		Scan(ctx, &names); err != nil {
		return nil, translate(err, "partition")
	}
	var out []application.HistoryPartition
	for _, name := range names {
		m := monthPartition.FindStringSubmatch(name)
		if m == nil || name != partitionName(table, monthOf(m[1], m[2])) {
			continue
		}
		from := monthOf(m[1], m[2])
		to := from.AddDate(0, 1, 0)
		if !to.After(cutoff) {
			out = append(out, application.HistoryPartition{Table: table, Name: name, From: from, To: to})
		}
	}
	return out, nil
}

// dropLockTimeout bounds the wait for DETACH's ACCESS EXCLUSIVE lock on
// the parent table. While DETACH waits in the lock queue, every later
// reader and writer of the table (report batches, every audited change)
// queues behind it, so a long investigation query would stall the write
// path for as long as it runs; past this wait the partition is kept and
// retried on the next run instead.
const dropLockTimeout = "1s"

// rowTime is each history table's own time column.
var rowTime = map[application.HistoryTable]string{application.HistoryReports: "reported_at", application.HistoryAudit: "created_at"}

// Drop detaches the partition (which fails while rows of it are still
// referenced by a foreign key: a conflict) and drops it, in ctx's
// transaction, after carrying a reports partition's still-valid states
// forward (carryForward). The counts are exact: they are what the audit row
// says was removed and carried. A parent table busy past dropLockTimeout is
// a conflict too, and so is a partition holding a row whose own time is not
// before cutoff: a legacy row with a random (not UUIDv7) id lands in the
// month its leading bits read as, whatever its age, and must not go with
// that month.
func (p *Partitions) Drop(ctx context.Context, part application.HistoryPartition, cutoff time.Time) (application.HistoryDrop, error) {
	var d application.HistoryDrop
	db := conn(ctx, p.db)
	if _, err := db.ExecContext(ctx, `SET LOCAL lock_timeout = '`+dropLockTimeout+`'`); err != nil {
		return d, translate(err, "partition")
	}
	var young int64
	if err := db.NewRaw(`SELECT count(*), count(*) FILTER (WHERE ? >= ?) FROM ?`, bun.Ident(rowTime[part.Table]), cutoff,
		bun.Ident(part.Name)).Scan(ctx, &d.Rows, &young); err != nil {
		return d, translate(err, "partition")
	}
	if young > 0 {
		return d, domain.Conflict(fmt.Sprintf("partition %s holds %d rows newer than the retention", part.Name, young))
	}
	if part.Table == application.HistoryReports {
		var err error
		if d.Carried, err = carryForward(ctx, db, part, cutoff); err != nil {
			return d, err
		}
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE ? DETACH PARTITION ?`, bun.Ident(string(part.Table)), bun.Ident(part.Name)); err != nil {
		switch pgErrorCode(err) {
		case "23503":
			return d, domain.Conflict(fmt.Sprintf("partition %s is still referenced", part.Name))
		case "55P03": // lock_not_available
			return d, domain.Conflict(fmt.Sprintf("table %s is busy; partition %s is kept until the next run", part.Table, part.Name))
		}
		return d, translate(err, "partition")
	}
	if _, err := db.ExecContext(ctx, `DROP TABLE ?`, bun.Ident(part.Name)); err != nil {
		return d, translate(err, "partition")
	}
	return d, nil
}

// DeleteFinishedDeliveries deletes one bounded batch of finished
// deliveries with their attempts (the NO ACTION foreign key is checked at
// the end of the statement, when both are gone). Rows another transaction
// holds are skipped, so retention never waits for a delivery in flight.
func (p *Partitions) DeleteFinishedDeliveries(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	var n int64
	err := conn(ctx, p.db).NewRaw(`
WITH doomed AS (
    SELECT id FROM webhook_deliveries
    WHERE status IN ('delivered', 'failed') AND coalesce(delivered_at, last_attempt_at, created_at) < ?
    LIMIT ? FOR UPDATE SKIP LOCKED
), attempts AS (
    DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM doomed)
), gone AS (
    DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1
)
SELECT count(*) FROM gone`, cutoff, limit).Scan(ctx, &n)
	return n, translate(err, "webhook delivery")
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func monthOf(year, month string) time.Time {
	t, err := time.Parse("200601", year+month)
	if err != nil {
		return time.Time{}
	}
	return t
}

func partitionName(table application.HistoryTable, month time.Time) string {
	return string(table) + "_p" + month.Format("200601")
}
