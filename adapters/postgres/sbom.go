package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
)

// SBOMReader pages installations of enrolled agents for SBOMs, on the
// installations primary key (agent_id, editor, extension_id).
type SBOMReader struct{ db *bun.DB }

var _ application.SBOMReader = (*SBOMReader)(nil)

// NewSBOMReader returns the reader on db.
func NewSBOMReader(db *bun.DB) *SBOMReader { return &SBOMReader{db: db} }

type sbomRow struct {
	AgentID     uuid.UUID `bun:"agent_id"`
	GroupID     uuid.UUID `bun:"group_id"`
	MachineID   string    `bun:"machine_id"`
	DisplayName string    `bun:"display_name"`
	Editor      string    `bun:"editor"`
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"installed_version,nullzero"`
	SHA256      string    `bun:"extension_sha256,nullzero"`
}

// InstalledPage reads one keyset page.
func (r *SBOMReader) InstalledPage(ctx context.Context, scope application.SBOMScope, after application.SBOMKey, limit int) ([]application.SBOMItem, error) {
	q := conn(ctx, r.db).NewSelect().TableExpr("installations AS i").
		ColumnExpr("i.agent_id, i.group_id, a.machine_id, a.display_name, i.editor, i.extension_id, i.installed_version, i.extension_sha256").
		Join(joinEnrolledAgent)
	if !scope.AgentID.IsZero() {
		q = q.Where("i.agent_id = ?", uid(scope.AgentID))
	}
	if !scope.GroupID.IsZero() {
		q = q.Where("i.group_id = ?", uid(scope.GroupID))
	}
	if after != (application.SBOMKey{}) {
		q = q.Where("(i.agent_id, i.editor, i.extension_id) > (?, ?, ?)", uid(after.AgentID), after.Editor, after.ExtensionID)
	}
	var rows []sbomRow
	if err := q.OrderExpr("i.agent_id, i.editor, i.extension_id").Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]application.SBOMItem, len(rows))
	for i, row := range rows {
		out[i] = application.SBOMItem{AgentID: did(row.AgentID), GroupID: did(row.GroupID), MachineID: row.MachineID,
			DisplayName: row.DisplayName, Editor: row.Editor, ExtensionID: row.ExtensionID, Version: row.Version,
			ContentSHA256: row.SHA256}
	}
	return out, nil
}
