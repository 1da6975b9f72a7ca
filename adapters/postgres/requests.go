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

// RequestRepository stores extension requests (extension_requests), read
// with the machine id and user hash the agent reported.
type RequestRepository struct{ db *bun.DB }

var _ application.RequestRepository = (*RequestRepository)(nil)

// NewRequestRepository returns the repository on db.
func NewRequestRepository(db *bun.DB) *RequestRepository { return &RequestRepository{db: db} }

type requestRow struct {
	bun.BaseModel `bun:"table:extension_requests,alias:r"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	AgentID     uuid.UUID `bun:"agent_id,type:uuid"`
	GroupID     uuid.UUID `bun:"group_id,type:uuid"`
	ExtensionID string    `bun:"extension_id"`
	Version     string    `bun:"version,nullzero"`
	Reason      string    `bun:"reason"`
	Status      string    `bun:"status"`
	Scope       string    `bun:"scope,nullzero"`
	ExpiresAt   time.Time `bun:"expires_at,nullzero"`
	AnsweredBy  uuid.UUID `bun:"answered_by,type:uuid,nullzero"`
	Note        string    `bun:"note"`
	CreatedAt   time.Time `bun:"created_at"`
	AnsweredAt  time.Time `bun:"answered_at,nullzero"`
	MachineID   string    `bun:"machine_id,scanonly"`
	UserHash    string    `bun:"user_hash,scanonly"`
}

func requestRowFrom(r request.Request) *requestRow {
	return &requestRow{ID: uid(r.ID()), AgentID: uid(r.AgentID()), GroupID: uid(r.GroupID()), ExtensionID: r.ExtensionID().String(),
		Version: r.Version(), Reason: r.Reason(), Status: string(r.Status()), Scope: string(r.Scope()), ExpiresAt: r.ExpiresAt(),
		AnsweredBy: uid(r.AnsweredBy()), Note: r.Note(), CreatedAt: r.CreatedAt(), AnsweredAt: r.AnsweredAt()}
}

func (row *requestRow) toDomain() request.Request {
	return request.Rehydrate(request.RehydrateParams{ID: did(row.ID), AgentID: did(row.AgentID), GroupID: did(row.GroupID),
		AnsweredBy: did(row.AnsweredBy), ExtensionID: row.ExtensionID, Version: row.Version, Reason: row.Reason, Note: row.Note,
		Status: request.Status(row.Status), Scope: request.Scope(row.Scope), ExpiresAt: row.ExpiresAt,
		CreatedAt: row.CreatedAt, AnsweredAt: row.AnsweredAt, MachineID: row.MachineID, UserHash: row.UserHash})
}

func (s *RequestRepository) view(ctx context.Context, rows any) *bun.SelectQuery {
	return conn(ctx, s.db).NewSelect().Model(rows).ColumnExpr("r.*, a.machine_id, a.user_hash").
		Join("JOIN agents AS a ON a.id = r.agent_id")
}

func (s *RequestRepository) one(ctx context.Context, where func(*bun.SelectQuery) *bun.SelectQuery) (request.Request, error) {
	var row requestRow
	if err := where(s.view(ctx, &row)).Limit(1).Scan(ctx); err != nil {
		return request.Request{}, translate(err, "extension request")
	}
	return row.toDomain(), nil
}

// Create inserts r; the partial unique index on pending requests makes a
// second pending one for the same agent and extension a no-op, answered
// with the pending one.
func (s *RequestRepository) Create(ctx context.Context, r request.Request) (request.Request, bool, error) {
	res, err := conn(ctx, s.db).NewInsert().Model(requestRowFrom(r)).
		On("CONFLICT (agent_id, extension_id) WHERE status = 'pending' DO NOTHING").Exec(ctx)
	if err != nil {
		return request.Request{}, false, translate(err, "extension request")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		pending, err := s.Pending(ctx, r.AgentID(), r.ExtensionID())
		return pending, false, err
	}
	created, err := s.Get(ctx, r.ID())
	return created, true, err
}

// Pending is the agent's pending request for id.
func (s *RequestRepository) Pending(ctx context.Context, agentID domain.ID, id extension.ExtensionID) (request.Request, error) {
	return s.one(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("r.agent_id = ?", uid(agentID)).Where("r.extension_id = ?", id.String()).Where("r.status = 'pending'")
	})
}

// CountSince counts on extension_requests_agent_idx.
func (s *RequestRepository) CountSince(ctx context.Context, agentID domain.ID, since time.Time) (int, time.Time, error) {
	var out struct {
		N      int       `bun:"n"`
		Oldest time.Time `bun:"oldest,nullzero"`
	}
	err := conn(ctx, s.db).NewRaw(`SELECT count(*) AS n, min(created_at) AS oldest FROM extension_requests
WHERE agent_id = ? AND created_at >= ?`, uid(agentID), since).Scan(ctx, &out)
	return out.N, out.Oldest, translate(err, "extension request")
}

// Get reads one request.
func (s *RequestRepository) Get(ctx context.Context, id domain.ID) (request.Request, error) {
	return s.one(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("r.id = ?", uid(id)) })
}

// Update locks the request row, applies change and stores the answer.
func (s *RequestRepository) Update(ctx context.Context, id domain.ID,
	change func(request.Request) (request.Request, error)) (request.Request, error) {
	var next request.Request
	err := NewTxRunner(s.db).InTx(ctx, func(ctx context.Context) error {
		cur, err := s.one(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("r.id = ?", uid(id)).For("NO KEY UPDATE OF r")
		})
		if err != nil {
			return err
		}
		if next, err = change(cur); err != nil {
			return err
		}
		_, err = conn(ctx, s.db).NewUpdate().Model(requestRowFrom(next)).
			Column("status", "scope", "version", "expires_at", "answered_by", "note", "answered_at").WherePK().Exec(ctx)
		return translate(err, "extension request")
	})
	return next, err
}

// List pages requests by id (UUIDv7: oldest first).
func (s *RequestRepository) List(ctx context.Context, f application.RequestFilter, page application.PageRequest) (application.Page[request.Request], error) {
	q := s.view(ctx, (*requestRow)(nil))
	if f.Status != "" {
		q = q.Where("r.status = ?", string(f.Status))
	}
	if !f.GroupID.IsZero() {
		q = q.Where("r.group_id = ?", uid(f.GroupID))
	}
	if !f.AgentID.IsZero() {
		q = q.Where("r.agent_id = ?", uid(f.AgentID))
	}
	if f.ExtensionID != "" {
		q = q.Where("r.extension_id = ?", f.ExtensionID.String())
	}
	return listByID(ctx, q, "r.id", page, func(r *requestRow) uuid.UUID { return r.ID }, infallible((*requestRow).toDomain))
}
