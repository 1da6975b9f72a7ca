package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
)

// InstallationReader answers "who has X installed now" from the
// installations table (one row per agent, editor and extension).
type InstallationReader struct {
	db *bun.DB

	mu       sync.Mutex
	ids      []string
	idsUntil time.Time
}

var _ application.InstallationReader = (*InstallationReader)(nil)

// NewInstallationReader returns the reader on db.
func NewInstallationReader(db *bun.DB) *InstallationReader { return &InstallationReader{db: db} }

// distinctIDsTTL is how long the distinct installed ids are reused for
// pattern queries: an id installed for the first time shows up in pattern
// answers this much later (exact and publisher queries see it at once).
const distinctIDsTTL = 10 * time.Second

// ExtensionIDs lists the distinct installed ids, reused for distinctIDsTTL:
// the list costs one index probe per distinct id (tens of milliseconds for
// a fleet with thousands of distinct extensions).
func (r *InstallationReader) ExtensionIDs(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Now().Before(r.idsUntil) {
		return r.ids, nil
	}
	ids, err := r.distinctIDs(ctx)
	if err == nil {
		r.ids, r.idsUntil = ids, time.Now().Add(distinctIDsTTL)
	}
	return ids, err
}

// distinctIDs is a loose index scan: one index probe per distinct id instead
// of reading millions of rows.
func (r *InstallationReader) distinctIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := conn(ctx, r.db).NewRaw(`
WITH RECURSIVE ids AS (
    (SELECT extension_id FROM installations ORDER BY extension_id LIMIT 1)
    UNION ALL
    SELECT (SELECT i.extension_id FROM installations i WHERE i.extension_id > ids.extension_id ORDER BY i.extension_id LIMIT 1)
    FROM ids WHERE ids.extension_id IS NOT NULL
)
SELECT extension_id FROM ids WHERE extension_id IS NOT NULL`).Scan(ctx, &ids)
	return ids, err
}

type installationRow struct {
	AgentID     uuid.UUID `bun:"agent_id"`
	GroupID     uuid.UUID `bun:"group_id"`
	MachineID   string    `bun:"machine_id"`
	DisplayName string    `bun:"display_name"`
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"installed_version,nullzero"`
	Editor      string    `bun:"editor"`
	ReportedAt  time.Time `bun:"reported_at"`
}

// joinEnrolledAgent joins the agent of installations AS i, leaving out the
// installations of deleted and decommissioned agents: every installed-base
// reader counts enrolled agents only.
const joinEnrolledAgent = "JOIN agents AS a ON a.id = i.agent_id AND a.deleted_at IS NULL AND a.status <> 'decommissioned'"

// Find pages installations of enrolled (not decommissioned or deleted)
// agents by (extension_id, agent_id, editor), the order of the indexes on
// extension_id and on publisher.
func (r *InstallationReader) Find(ctx context.Context, f application.InstallationFilter, page application.PageRequest) (application.Page[application.Installation], error) {
	q := conn(ctx, r.db).NewSelect().TableExpr("installations AS i").
		// installations.reported_at is when a row last changed (unchanged rows
		// are not rewritten); the agent's last report time is its verdict's.
		ColumnExpr("i.agent_id, i.group_id, a.machine_id, a.display_name, i.extension_id, i.installed_version, i.editor").
		ColumnExpr("COALESCE(av.reported_at, i.reported_at) AS reported_at").
		Join(joinEnrolledAgent).
		Join("LEFT JOIN agent_verdicts AS av ON av.agent_id = i.agent_id")
	switch {
	case len(f.ExtensionIDs) == 1:
		q = q.Where("i.extension_id = ?", f.ExtensionIDs[0])
	case f.ExtensionIDs != nil: // several, or none when a pattern matched nothing
		q = q.Where("i.extension_id = ANY (?)", stringArray(f.ExtensionIDs))
	default:
		q = q.Where("i.publisher = ?", f.Publisher)
	}
	if !f.GroupID.IsZero() {
		q = q.Where("i.group_id = ?", uid(f.GroupID))
	}
	if page.Cursor != "" {
		var ext, editor string
		var agentID uuid.UUID
		if err := decodeCursor(page.Cursor, &ext, &agentID, &editor); err != nil {
			return application.Page[application.Installation]{}, err
		}
		q = q.Where("(i.extension_id, i.agent_id, i.editor) > (?, ?, ?)", ext, agentID, editor)
	}
	q = q.OrderExpr("i.extension_id, i.agent_id, i.editor")
	return scanPage(ctx, q, page.Limit,
		func(r *installationRow) string { return encodeCursor(r.ExtensionID, r.AgentID, r.Editor) },
		infallible(func(r *installationRow) application.Installation {
			return application.Installation{AgentID: did(r.AgentID), GroupID: did(r.GroupID),
				MachineID: r.MachineID, DisplayName: r.DisplayName, ExtensionID: r.ExtensionID, Version: r.Version,
				Editor: r.Editor, ReportedAt: r.ReportedAt}
		}))
}
