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
// newest and answers those that say installed. The id bound (writtenBy,
// and notYetWritten for the rows of before the partitioning) prunes at
// plan time the months written after anything reported by at. Decommissioned and deleted
// agents keep their history.
func (r *HistoryReader) InventoryAt(ctx context.Context, agentID domain.ID, at time.Time, page application.PageRequest) (application.Page[application.HistoricItem], error) {
	after := bun.Safe("")
	args := []any{uid(agentID), at, uuid.UUID(writtenBy(at)).String(), uuid.UUID(notYetWritten(time.Now())).String()}
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
    FROM reports WHERE agent_id = ? AND reported_at <= ? AND (id < ?::uuid OR id >= ?::uuid) `+string(after)+`
    ORDER BY editor, extension_id, reported_at DESC, id DESC) AS s`, args...).
		ColumnExpr("editor, extension_id, installed_version, extension_sha256, reported_at").
		Where("installed").OrderExpr("editor, extension_id")
	return scanPage(ctx, q, page.Limit,
		func(r *historicItemRow) string { return encodeCursor(r.Editor, r.ExtensionID) },
		infallible(func(r *historicItemRow) application.HistoricItem {
			return application.HistoricItem{Editor: r.Editor, ExtensionID: r.ExtensionID, Version: r.Version, SHA256: r.SHA256, Since: r.Since}
		}))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
