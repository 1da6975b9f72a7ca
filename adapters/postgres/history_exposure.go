package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// historyExposureRow is one agent of the time-travel exposure (who had an
// extension installed when); advisoryExposureRow in threat_feeds_exposure.go
// is the other exposure, an advisory's installed base per group.
type historyExposureRow struct {
	ExtensionID    string
	AgentID        [16]byte
	GroupID        [16]byte
	MachineID      string
	DisplayName    string
	Versions       []string
	Editors        []string
	FirstSeen      time.Time
	LastSeen       time.Time
	StillInstalled bool
}

// exposureSQL walks the extension's (or publisher's: %[1]s is the match)
// agents in (extension, agent) order with a loose index scan of
// reports_exposure_idx (or reports_publisher_exposure_idx): one index
// probe finds the next agent after the cursor, and only that agent's rows
// of the extension are read to pair each row with the next of its key (a
// window function) and keep the installations overlapping the window: begun
// by until and ended (the next row of its key) after since, or not ended by
// until. The recursive scan is pulled row by row through nested loops
// (every join is LATERAL), which keep its order, so a page stops once it has
// its agents; an ORDER BY would make PostgreSQL read every agent first, and
// so would a hash join with agents, which OFFSET 0 keeps the planner from
// choosing. (A single windowed scan of the extension's whole history was
// planned as a bitmap scan and a sort of every row: 110 ms for an
// extension on 6,000 agents.)
//
// $8 bounds the id from above: a row reported at or before until was
// written (its UUIDv7 id's time) at most report.MaxReportAge after it, so
// the partitions of later months are skipped, by the generic plan's
// run-time pruning. Ids from $9 (now) on are kept: no UUIDv7 is written
// there, so they are rows written before the partitioning with random ids
// (nearly all in reports_legacy_high). No lower bound exists: the state at
// since may have been reported long before it (retention carries such
// states forward, so they stay inside the kept months).
const exposureSQL = `
WITH RECURSIVE k AS (
    (SELECT r.extension_id, r.agent_id FROM reports r
     WHERE %[1]s AND (r.extension_id, r.agent_id) > ($2, $3::uuid) AND (r.id < $8 OR r.id >= $9)
     ORDER BY r.extension_id, r.agent_id LIMIT 1)
    UNION ALL
    SELECT n.extension_id, n.agent_id FROM k, LATERAL (
        SELECT r.extension_id, r.agent_id FROM reports r
        WHERE %[1]s AND (r.extension_id, r.agent_id) > (k.extension_id, k.agent_id) AND (r.id < $8 OR r.id >= $9)
        ORDER BY r.extension_id, r.agent_id LIMIT 1) n
)
SELECT k.extension_id, k.agent_id, coalesce(e.versions, '{}'), e.editors, e.first_seen, e.last_seen, e.still_installed,
       a.group_id, a.machine_id, coalesce(a.display_name, '')
FROM k
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT installed_version) FILTER (WHERE installed_version IS NOT NULL) AS versions,
           array_agg(DISTINCT editor) AS editors, min(reported_at) AS first_seen,
           max(coalesce(ended_at, $4)) AS last_seen, bool_or(ended_at IS NULL) AS still_installed
    FROM (SELECT installed, installed_version, editor, reported_at,
                 lead(reported_at) OVER (PARTITION BY editor ORDER BY reported_at, id) AS ended_at
          FROM reports WHERE extension_id = k.extension_id AND agent_id = k.agent_id AND reported_at <= $4 AND (id < $8 OR id >= $9)) h
    WHERE installed AND (ended_at IS NULL OR ended_at > $5) AND ($6 = '' OR installed_version = $6)
    HAVING count(*) > 0
) e
CROSS JOIN LATERAL (SELECT group_id, machine_id, display_name FROM agents WHERE id = k.agent_id OFFSET 0) a
LIMIT $7`

var (
	exposureByExtensionSQL = fmt.Sprintf(exposureSQL, "r.extension_id = $1")
	exposureByPublisherSQL = fmt.Sprintf(exposureSQL, "split_part(r.extension_id, '.', 1) = $1")
)

// Exposure answers one page of exposureSQL. Its text is constant and its
// values are parameters, so each connection prepares it once (pgx's
// statement cache) and, with plan_cache_mode forced to generic for the
// statement, plans it once: planning a query over every partition three
// times costed ~12 ms a call, more than running it. The setting is the
// session's for the batch only: SET, the query and RESET go in one round
// trip, and a failed query rolls the SET back with its implicit
// transaction.
func (r *HistoryReader) Exposure(ctx context.Context, f application.ExposureFilter, page application.PageRequest) (application.Page[application.Exposure], error) {
	query, key := exposureByExtensionSQL, f.ExtensionID
	if f.Publisher != "" {
		query, key = exposureByPublisherSQL, f.Publisher
	}
	afterExt, afterAgent := "", uuid.Nil
	if page.Cursor != "" {
		if err := decodeCursor(page.Cursor, &afterExt, &afterAgent); err != nil {
			return application.Page[application.Exposure]{}, err
		}
	}
	rows, err := r.genericPlanRows(ctx, query, []any{key, afterExt, [16]byte(afterAgent), f.Until, f.Since, f.Version,
		page.Limit + 1, writtenBy(f.Until), notYetWritten(time.Now())})
	if err != nil {
		return application.Page[application.Exposure]{}, translate(err, "exposure")
	}
	return pageOf(rows, page.Limit, func(r *historyExposureRow) string { return encodeCursor(r.ExtensionID, uuid.UUID(r.AgentID)) },
		infallible(func(r *historyExposureRow) application.Exposure {
			return application.Exposure{AgentID: domain.ID(r.AgentID), GroupID: domain.ID(r.GroupID), MachineID: r.MachineID,
				DisplayName: r.DisplayName, ExtensionID: r.ExtensionID, Versions: nonNil(r.Versions), Editors: nonNil(r.Editors),
				FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, StillInstalled: r.StillInstalled}
		}))
}

// writtenBy is an upper bound of the ids of the rows reported at or before
// t: a report may arrive (and get its id) up to report.MaxReportAge after
// the time it says.
func writtenBy(t time.Time) [16]byte { return uuidv7Floor(t.Add(report.MaxReportAge + time.Minute)) }

// notYetWritten is the smallest UUIDv7 no write made by now has: ids from
// it on are random ones of rows written before the partitioning.
func notYetWritten(now time.Time) [16]byte { return uuidv7Floor(now.Add(report.MaxFutureSkew)) }

func uuidv7Floor(t time.Time) [16]byte {
	ms := uint64(t.UnixMilli())
	var id [16]byte
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	return id
}

func (r *HistoryReader) genericPlanRows(ctx context.Context, query string, args []any) ([]historyExposureRow, error) {
	sqlConn, err := r.db.DB.Conn(ctx)
	if err != nil {
		return nil, domain.Unavailable("database unreachable")
	}
	defer sqlConn.Close()
	var out []historyExposureRow
	err = sqlConn.Raw(func(dc any) error {
		b := &pgx.Batch{}
		b.Queue(`SET plan_cache_mode = force_generic_plan`)
		q := b.Queue(query, args...)
		b.Queue(`RESET plan_cache_mode`)
		q.Query(func(rows pgx.Rows) error {
			var e historyExposureRow
			_, err := pgx.ForEachRow(rows, []any{&e.ExtensionID, &e.AgentID, &e.Versions, &e.Editors, &e.FirstSeen,
				&e.LastSeen, &e.StillInstalled, &e.GroupID, &e.MachineID, &e.DisplayName}, func() error {
				out, e = append(out, e), historyExposureRow{}
				return nil
			})
			return err
		})
		return pgxConn(dc).Conn().SendBatch(ctx, b).Close()
	})
	return out, err
}
