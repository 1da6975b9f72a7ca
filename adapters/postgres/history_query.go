package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// HistoryReader answers time-travel questions from reports, which holds
// one row per change of an (agent, editor, extension): a state holds from
// its row's reported_at until the next row of the same key.
type HistoryReader struct{ db *bun.DB }

var _ application.HistoryReader = (*HistoryReader)(nil)

// NewHistoryReader returns the reader on db.
func NewHistoryReader(db *bun.DB) *HistoryReader { return &HistoryReader{db: db} }

type historicItemRow struct {
	Editor      string    `bun:"editor"`
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"installed_version,nullzero"`
	SHA256      string    `bun:"extension_sha256,nullzero"`
	Since       time.Time `bun:"reported_at"`
}

// InventoryAt takes the agent's rows up to at (reports_agent_reported_idx:
// a few hundred rows for 90 days of a busy machine), keeps each key's
// newest and answers those that say installed. Decommissioned and deleted
// agents keep their history.
func (r *HistoryReader) InventoryAt(ctx context.Context, agentID domain.ID, at time.Time, page application.PageRequest) (application.Page[application.HistoricItem], error) {
	after := bun.Safe("")
	args := []any{uid(agentID), at}
	if page.Cursor != "" {
		var editor, ext string
		if err := decodeCursor(page.Cursor, &editor, &ext); err != nil {
			return application.Page[application.HistoricItem]{}, err
		}
		after, args = "AND (editor, extension_id) > (?, ?)", append(args, editor, ext)
	}
	// A bad cursor is refused before the agent is looked up.
	db := conn(ctx, r.db)
	var known bool
	if err := db.NewRaw(`SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?)`, uid(agentID)).Scan(ctx, &known); err != nil {
		return application.Page[application.HistoricItem]{}, translate(err, "agent")
	}
	if !known {
		return application.Page[application.HistoricItem]{}, domain.NotFound("agent not found")
	}
	q := db.NewSelect().TableExpr(`(
    SELECT DISTINCT ON (editor, extension_id) editor, extension_id, installed, installed_version, extension_sha256, reported_at
    FROM reports WHERE agent_id = ? AND reported_at <= ? `+string(after)+`
    ORDER BY editor, extension_id, reported_at DESC, id DESC) AS s`, args...).
		ColumnExpr("editor, extension_id, installed_version, extension_sha256, reported_at").
		Where("installed").OrderExpr("editor, extension_id")
	return scanPage(ctx, q, page.Limit,
		func(r *historicItemRow) string { return encodeCursor(r.Editor, r.ExtensionID) },
		infallible(func(r *historicItemRow) application.HistoricItem {
			return application.HistoricItem{Editor: r.Editor, ExtensionID: r.ExtensionID, Version: r.Version, SHA256: r.SHA256, Since: r.Since}
		}))
}

// historyExposureRow is one agent of the time-travel exposure (who had an
// extension installed when); advisoryExposureRow in threat_feeds_exposure.go
// is the other exposure, an advisory's installed base per group.
type historyExposureRow struct {
	ExtensionID    string    `bun:"extension_id"`
	AgentID        uuid.UUID `bun:"agent_id"`
	GroupID        uuid.UUID `bun:"group_id"`
	MachineID      string    `bun:"machine_id"`
	DisplayName    string    `bun:"display_name"`
	Versions       []string  `bun:"versions,array"`
	Editors        []string  `bun:"editors,array"`
	FirstSeen      time.Time `bun:"first_seen"`
	LastSeen       time.Time `bun:"last_seen"`
	StillInstalled bool      `bun:"still_installed"`
}

// Exposure walks the extension's (or publisher's) agents in (extension,
// agent) order with a loose index scan of reports_exposure_idx (or
// reports_publisher_exposure_idx): one index probe finds the next agent
// after the cursor, and only that agent's rows of the extension are read
// to pair each row with the next of its key (a window function) and keep
// the installations overlapping the window: begun by until and ended (the
// next row of its key) after since, or not ended by until. The recursive
// scan is pulled row by row through nested loops (every join is LATERAL),
// which keep its order, so a page stops once it has its agents; an ORDER
// BY would make PostgreSQL read every agent first, and so would a hash join
// with agents, which OFFSET 0 keeps the planner from choosing. (A
// single windowed scan of the extension's whole history was planned as a
// bitmap scan and a sort of every row: 110 ms for an extension on 6,000
// agents.)
func (r *HistoryReader) Exposure(ctx context.Context, f application.ExposureFilter, page application.PageRequest) (application.Page[application.Exposure], error) {
	match, key := "r.extension_id = ?0", f.ExtensionID
	if f.Publisher != "" {
		match, key = "split_part(r.extension_id, '.', 1) = ?0", f.Publisher
	}
	afterExt, afterAgent := "", uuid.Nil
	if page.Cursor != "" {
		if err := decodeCursor(page.Cursor, &afterExt, &afterAgent); err != nil {
			return application.Page[application.Exposure]{}, err
		}
	}
	version := ""
	if f.Version != "" {
		version = "AND installed_version = ?5"
	}
	var rows []historyExposureRow
	err := conn(ctx, r.db).NewRaw(`
WITH RECURSIVE k AS (
    (SELECT r.extension_id, r.agent_id FROM reports r
     WHERE `+match+` AND (r.extension_id, r.agent_id) > (?1, ?2::uuid)
     ORDER BY r.extension_id, r.agent_id LIMIT 1)
    UNION ALL
    SELECT n.extension_id, n.agent_id FROM k, LATERAL (
        SELECT r.extension_id, r.agent_id FROM reports r
        WHERE `+match+` AND (r.extension_id, r.agent_id) > (k.extension_id, k.agent_id)
        ORDER BY r.extension_id, r.agent_id LIMIT 1) n
)
SELECT k.extension_id, k.agent_id, e.versions, e.editors, e.first_seen, e.last_seen, e.still_installed,
       a.group_id, a.machine_id, a.display_name
FROM k
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT installed_version) FILTER (WHERE installed_version IS NOT NULL) AS versions,
           array_agg(DISTINCT editor) AS editors, min(reported_at) AS first_seen,
           max(coalesce(ended_at, ?3)) AS last_seen, bool_or(ended_at IS NULL) AS still_installed
    FROM (SELECT installed, installed_version, editor, reported_at,
                 lead(reported_at) OVER (PARTITION BY editor ORDER BY reported_at, id) AS ended_at
          FROM reports WHERE extension_id = k.extension_id AND agent_id = k.agent_id AND reported_at <= ?3) h
    WHERE installed AND (ended_at IS NULL OR ended_at > ?4) `+version+`
    HAVING count(*) > 0
) e
CROSS JOIN LATERAL (SELECT group_id, machine_id, display_name FROM agents WHERE id = k.agent_id OFFSET 0) a
LIMIT ?6`, key, afterExt, afterAgent, f.Until, f.Since, f.Version, page.Limit+1).Scan(ctx, &rows)
	if err != nil {
		return application.Page[application.Exposure]{}, translate(err, "exposure")
	}
	return pageOf(rows, page.Limit, func(r *historyExposureRow) string { return encodeCursor(r.ExtensionID, r.AgentID) },
		infallible(func(r *historyExposureRow) application.Exposure {
			return application.Exposure{AgentID: did(r.AgentID), GroupID: did(r.GroupID), MachineID: r.MachineID,
				DisplayName: r.DisplayName, ExtensionID: r.ExtensionID, Versions: nonNil(r.Versions), Editors: nonNil(r.Editors),
				FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, StillInstalled: r.StillInstalled}
		}))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
