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

type exposureRow struct {
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

// Exposure walks the extension's (or publisher's) history in (extension,
// agent, editor, time) order, the order of reports_exposure_idx and
// reports_publisher_exposure_idx, so the window function that pairs each
// row with the next of its key and the aggregation per agent both stream,
// and a page stops reading once it has its agents. An installation
// overlaps the window when it began by until and ended (the next row of its
// key) after since, or had not ended by until.
func (r *HistoryReader) Exposure(ctx context.Context, f application.ExposureFilter, page application.PageRequest) (application.Page[application.Exposure], error) {
	match, args := "r.extension_id = ?", []any{f.ExtensionID}
	if f.Publisher != "" {
		match, args = "split_part(r.extension_id, '.', 1) = ?", []any{f.Publisher}
	}
	args = append(args, f.Until)
	after := ""
	if page.Cursor != "" {
		var ext string
		var agentID uuid.UUID
		if err := decodeCursor(page.Cursor, &ext, &agentID); err != nil {
			return application.Page[application.Exposure]{}, err
		}
		after, args = "AND (r.extension_id, r.agent_id) > (?, ?)", append(args, ext, agentID)
	}
	version := ""
	args = append(args, f.Since)
	if f.Version != "" {
		version, args = "AND installed_version = ?", append(args, f.Version)
	}
	args = append(args, f.Until, page.Limit+1)
	var rows []exposureRow
	err := conn(ctx, r.db).NewRaw(`
WITH h AS (
    SELECT r.extension_id, r.agent_id, r.editor, r.installed, r.installed_version, r.reported_at,
           lead(r.reported_at) OVER (PARTITION BY r.extension_id, r.agent_id, r.editor ORDER BY r.reported_at, r.id) AS ended_at
    FROM reports r
    WHERE `+match+` AND r.reported_at <= ? `+after+`
), spans AS (
    SELECT * FROM h WHERE installed AND (ended_at IS NULL OR ended_at > ?) `+version+`
), page AS (
    SELECT extension_id, agent_id,
           array_agg(DISTINCT installed_version) FILTER (WHERE installed_version IS NOT NULL) AS versions,
           array_agg(DISTINCT editor) AS editors, min(reported_at) AS first_seen,
           max(coalesce(ended_at, ?)) AS last_seen, bool_or(ended_at IS NULL) AS still_installed
    FROM spans GROUP BY extension_id, agent_id ORDER BY extension_id, agent_id LIMIT ?
)
SELECT p.*, a.group_id, a.machine_id, a.display_name
FROM page p JOIN agents a ON a.id = p.agent_id
ORDER BY p.extension_id, p.agent_id`, args...).Scan(ctx, &rows)
	if err != nil {
		return application.Page[application.Exposure]{}, translate(err, "exposure")
	}
	out := application.Page[application.Exposure]{Items: make([]application.Exposure, 0, min(len(rows), page.Limit))}
	if len(rows) > page.Limit {
		rows = rows[:page.Limit]
		last := rows[len(rows)-1]
		out.NextCursor = encodeCursor(last.ExtensionID, last.AgentID)
	}
	for _, r := range rows {
		out.Items = append(out.Items, application.Exposure{AgentID: did(r.AgentID), GroupID: did(r.GroupID), MachineID: r.MachineID,
			DisplayName: r.DisplayName, ExtensionID: r.ExtensionID, Versions: nonNil(r.Versions), Editors: nonNil(r.Editors),
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, StillInstalled: r.StillInstalled})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
