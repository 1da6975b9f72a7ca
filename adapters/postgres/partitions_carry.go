package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// carryForwardSQL copies, before a reports partition (?0) is dropped, every
// state that is still valid at the cutoff (?1): for each (agent, editor,
// extension), its last row in the partition, when that row is an
// installation (or a removal that a kept older row precedes) and no later
// row of the key reported at or before the cutoff replaced it. History records changes only, so without the copy an
// installation that never changed (one row, its first report's) would
// vanish from time travel although the machine still has it. A removal
// needs a copy only when an older row of its key stays outside the
// partition (in an expired month an earlier conflict kept, or in a legacy
// partition, never dropped): without it that older installation would
// answer again for a machine that removed the extension; when every older
// row goes, "not installed" is what is left. Later rows are looked for outside
// the partition's id range (?2, ?3) only, and the partition's own last row
// is found with DISTINCT ON, one sort of the month.
//
// The copy keeps every column (reported_at included: the time the agent
// reported that state, so inventory-at's since and exposure's first_seen
// do not move) and gets a UUIDv7 id of the cutoff, which places it in the
// partition of the cutoff's month: a kept one, since a month is dropped
// only once it ended before the cutoff. carried_at marks it.
const carryForwardSQL = `
WITH last AS (
    SELECT DISTINCT ON (agent_id, editor, extension_id) *
    FROM ?0 ORDER BY agent_id, editor, extension_id, reported_at DESC, id DESC
), carried AS (
    INSERT INTO reports (id, agent_id, group_id, extension_id, user_hash, installed, installed_version,
        extension_sha256, client_ip, reported_at, editor, received_at, carried_at)
    SELECT encode(overlay(uuid_send(extguard_uuidv7()) PLACING substring(uuid_send(extguard_uuidv7_floor(?1)) FROM 1 FOR 6)
               FROM 1 FOR 6), 'hex')::uuid,
           l.agent_id, l.group_id, l.extension_id, l.user_hash, l.installed, l.installed_version,
           l.extension_sha256, l.client_ip, l.reported_at, l.editor, l.received_at, now()
    FROM last l
    WHERE (l.installed OR EXISTS (
        SELECT 1 FROM reports r
        WHERE r.extension_id = l.extension_id AND r.agent_id = l.agent_id AND r.editor = l.editor
          AND (r.id < extguard_uuidv7_floor(?2) OR r.id >= extguard_uuidv7_floor(?3))
          AND (r.reported_at, r.id) < (l.reported_at, l.id)))
      AND NOT EXISTS (
        SELECT 1 FROM reports r
        WHERE r.extension_id = l.extension_id AND r.agent_id = l.agent_id AND r.editor = l.editor
          AND (r.id < extguard_uuidv7_floor(?2) OR r.id >= extguard_uuidv7_floor(?3)) AND r.reported_at <= ?1
          AND (r.reported_at, r.id) > (l.reported_at, l.id))
    RETURNING 1
)
SELECT count(*) FROM carried`

// carryForward makes sure the cutoff's month has its partition (a month
// with no partition has no rows, so creating it late is safe) and copies the
// partition's still-valid states into it, in ctx's transaction.
func carryForward(ctx context.Context, db bun.IDB, part application.HistoryPartition, cutoff time.Time) (int64, error) {
	if _, err := db.ExecContext(ctx, `SELECT extguard_create_month_partition(?, ?)`, string(part.Table), cutoff); err != nil {
		return 0, translate(err, "partition")
	}
	var n int64
	err := db.NewRaw(carryForwardSQL, bun.Ident(part.Name), cutoff, part.From, part.To).
		Scan(ctx, &n)
	if pgErrorCode(err) == "55P03" { // lock_not_available: another drop holds the table
		return 0, domain.Conflict(fmt.Sprintf("table %s is busy; partition %s is kept until the next run", part.Table, part.Name))
	}
	return n, translate(err, "partition")
}
