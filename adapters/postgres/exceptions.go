package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/request"
)

// ExceptionRepository stores what approvals grant: agent_exceptions and
// the time-limited rows of group_extensions (expires_at, request_id).
type ExceptionRepository struct{ db *bun.DB }

var _ application.ExceptionRepository = (*ExceptionRepository)(nil)

// NewExceptionRepository returns the repository on db.
func NewExceptionRepository(db *bun.DB) *ExceptionRepository { return &ExceptionRepository{db: db} }

type exceptionRow struct {
	ID          uuid.UUID `bun:"id"`
	AgentID     uuid.UUID `bun:"agent_id"`
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"version,nullzero"`
	ExpiresAt   time.Time `bun:"expires_at,nullzero"`
	RequestID   uuid.UUID `bun:"request_id,nullzero"`
	CreatedBy   uuid.UUID `bun:"created_by,nullzero"`
	CreatedAt   time.Time `bun:"created_at"`
}

func (r *exceptionRow) toApp() application.AgentException {
	return application.AgentException{ID: did(r.ID), AgentID: did(r.AgentID), RequestID: did(r.RequestID),
		ExtensionID: extension.ExtensionID(r.ExtensionID), Version: r.Version, ExpiresAt: r.ExpiresAt,
		CreatedBy: did(r.CreatedBy), CreatedAt: r.CreatedAt}
}

// GrantAgent inserts the exception or moves the live one of the same
// agent and extension to e.
func (s *ExceptionRepository) GrantAgent(ctx context.Context, e application.AgentException) error {
	_, err := conn(ctx, s.db).NewRaw(`
INSERT INTO agent_exceptions (id, agent_id, extension_id, version, expires_at, request_id, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id, extension_id) WHERE ended_at IS NULL
DO UPDATE SET version = EXCLUDED.version, expires_at = EXCLUDED.expires_at, request_id = EXCLUDED.request_id`,
		uid(e.ID), uid(e.AgentID), e.ExtensionID.String(), nullString(e.Version), nullTime(e.ExpiresAt),
		nullUUID(uid(e.RequestID)), nullUUID(uid(e.CreatedBy)), e.CreatedAt).Exec(ctx)
	return translate(err, "agent exception")
}

// GrantGroup assigns or extends: a permanent assignment (expires_at NULL)
// stays permanent, otherwise the later expiry wins.
func (s *ExceptionRepository) GrantGroup(ctx context.Context, g application.GroupGrant) (domain.ID, error) {
	var id uuid.UUID
	err := conn(ctx, s.db).NewRaw(`
INSERT INTO group_extensions (id, group_id, extension_id, is_required, added_by, created_at, expires_at, request_id)
VALUES (?, ?, ?, false, ?, ?, ?, ?)
ON CONFLICT (group_id, extension_id) DO UPDATE SET
    expires_at = CASE WHEN group_extensions.expires_at IS NULL OR EXCLUDED.expires_at IS NULL THEN NULL
                      ELSE greatest(group_extensions.expires_at, EXCLUDED.expires_at) END,
    request_id = CASE WHEN group_extensions.expires_at IS NULL THEN group_extensions.request_id
                      ELSE EXCLUDED.request_id END
RETURNING id`, uid(domain.NewID()), uid(g.GroupID), uid(g.Entry.ID()), nullUUID(uid(g.AddedBy)), g.At,
		nullTime(g.ExpiresAt), nullUUID(uid(g.RequestID))).Scan(ctx, &id)
	return did(id), translate(err, "assignment")
}

func (s *ExceptionRepository) live(ctx context.Context, now time.Time, agentID domain.ID) ([]application.AgentException, error) {
	q := conn(ctx, s.db).NewSelect().TableExpr("agent_exceptions").
		Column("id", "agent_id", "extension_id", "version", "expires_at", "request_id", "created_by", "created_at").
		Where("ended_at IS NULL").Where("(expires_at IS NULL OR expires_at > ?)", now)
	if !agentID.IsZero() {
		q = q.Where("agent_id = ?", uid(agentID))
	}
	var rows []exceptionRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, translate(err, "agent exception")
	}
	out := make([]application.AgentException, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// Live lists every live exception (a fleet has few; the overlay holds them all).
func (s *ExceptionRepository) Live(ctx context.Context, now time.Time) ([]application.AgentException, error) {
	return s.live(ctx, now, domain.NilID)
}

// ForAgent lists one agent's live exceptions.
func (s *ExceptionRepository) ForAgent(ctx context.Context, agentID domain.ID, now time.Time) ([]application.AgentException, error) {
	return s.live(ctx, now, agentID)
}

// Expire is one statement: end the exceptions, delete the assignments,
// mark their requests expired, answer what ended. The partial indexes on
// expires_at keep it to the rows that are due.
func (s *ExceptionRepository) Expire(ctx context.Context, now time.Time) ([]application.EndedGrant, error) {
	var rows []struct {
		RequestID   uuid.UUID `bun:"request_id,nullzero"`
		AgentID     uuid.UUID `bun:"agent_id,nullzero"`
		GroupID     uuid.UUID `bun:"group_id"`
		ExtensionID string    `bun:"extension_id"`
		Scope       string    `bun:"scope"`
		ExpiresAt   time.Time `bun:"expires_at"`
	}
	err := conn(ctx, s.db).NewRaw(`
WITH ex AS (
    UPDATE agent_exceptions SET ended_at = ?0
    WHERE ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?0
    RETURNING request_id, agent_id, extension_id, expires_at
), ga AS (
    DELETE FROM group_extensions AS ge USING extensions AS e
    WHERE ge.expires_at IS NOT NULL AND ge.expires_at <= ?0 AND e.id = ge.extension_id
    RETURNING ge.request_id, ge.group_id, e.extension_id, ge.expires_at
), ended AS (
    SELECT ex.request_id, ex.agent_id, a.group_id, ex.extension_id, 'agent' AS scope, ex.expires_at
    FROM ex JOIN agents AS a ON a.id = ex.agent_id
    UNION ALL
    SELECT ga.request_id, NULL::uuid, ga.group_id, ga.extension_id, 'group', ga.expires_at FROM ga
), marked AS (
    UPDATE extension_requests SET status = 'expired'
    WHERE status = 'approved' AND id IN (SELECT request_id FROM ended WHERE request_id IS NOT NULL)
)
SELECT * FROM ended ORDER BY expires_at, request_id`, now).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, "agent exception")
	}
	out := make([]application.EndedGrant, len(rows))
	for i, r := range rows {
		out[i] = application.EndedGrant{RequestID: did(r.RequestID), AgentID: did(r.AgentID), GroupID: did(r.GroupID),
			ExtensionID: r.ExtensionID, Scope: request.Scope(r.Scope), ExpiresAt: r.ExpiresAt}
	}
	return out, nil
}

// nullString stores "" as NULL (an unpinned version).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
