package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// AssignmentRepository stores group assignments with their catalog entries.
type AssignmentRepository struct{ db *bun.DB }

var _ application.AssignmentRepository = (*AssignmentRepository)(nil)

// NewAssignmentRepository returns the repository on db.
func NewAssignmentRepository(db *bun.DB) *AssignmentRepository { return &AssignmentRepository{db: db} }

// assignmentView is an assignment joined with its (live) catalog entry.
type assignmentView struct {
	AssignmentID uuid.UUID `bun:"assignment_id"`
	GroupID      uuid.UUID `bun:"assignment_group_id"`
	IsRequired   bool      `bun:"assignment_is_required"`
	AddedBy      uuid.UUID `bun:"assignment_added_by,nullzero"`
	CreatedAt    time.Time `bun:"assignment_created_at"`
	ExpiresAt    time.Time `bun:"assignment_expires_at,nullzero"`
	catalogEntryRow
}

func (v *assignmentView) toApp() application.Assignment {
	return application.Assignment{ID: did(v.AssignmentID), GroupID: did(v.GroupID), Entry: v.catalogEntryRow.toDomain(),
		IsRequired: v.IsRequired, AddedBy: did(v.AddedBy), CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt}
}

func (r *AssignmentRepository) view(ctx context.Context) *bun.SelectQuery {
	return conn(ctx, r.db).NewSelect().
		ColumnExpr("ge.id AS assignment_id, ge.group_id AS assignment_group_id, ge.is_required AS assignment_is_required").
		ColumnExpr("ge.added_by AS assignment_added_by, ge.created_at AS assignment_created_at").
		ColumnExpr("ge.expires_at AS assignment_expires_at, e.*").
		TableExpr("group_extensions AS ge").
		Join("JOIN extensions AS e ON e.id = ge.extension_id AND e.deleted_at IS NULL")
}

// Get reads one assignment of a live catalog entry, its row locked until the
// caller's transaction ends: PUT and DELETE decide from it (nothing to change,
// the audit row's before), so a concurrent PUT must wait for this one.
func (r *AssignmentRepository) Get(ctx context.Context, groupID, entryID domain.ID) (application.Assignment, error) {
	var v assignmentView
	if err := lockForWrite(ctx, r.db, "group_extensions"); err != nil { // see updatePolicyRow
		return application.Assignment{}, err
	}
	err := r.view(ctx).Where("ge.group_id = ?", uid(groupID)).Where("ge.extension_id = ?", uid(entryID)).
		For("NO KEY UPDATE OF ge").Scan(ctx, &v)
	if err != nil {
		return application.Assignment{}, translate(err, "assignment")
	}
	return v.toApp(), nil
}

// Put inserts the assignment or updates is_required and expires_at; xmax =
// 0 tells an insert from an update in the same statement.
func (r *AssignmentRepository) Put(ctx context.Context, a application.Assignment) (bool, error) {
	var inserted bool
	err := conn(ctx, r.db).NewRaw(`
INSERT INTO group_extensions (id, group_id, extension_id, is_required, added_by, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (group_id, extension_id) DO UPDATE SET is_required = EXCLUDED.is_required, expires_at = EXCLUDED.expires_at
RETURNING (xmax = 0)`, uid(a.ID), uid(a.GroupID), uid(a.Entry.ID()), a.IsRequired, nullUUID(uid(a.AddedBy)), a.CreatedAt, nullTime(a.ExpiresAt)).
		Scan(ctx, &inserted)
	return inserted, translate(err, "assignment")
}

// Delete removes the assignment.
func (r *AssignmentRepository) Delete(ctx context.Context, groupID, entryID domain.ID) error {
	res, err := conn(ctx, r.db).NewDelete().Model((*assignmentRow)(nil)).
		Where("group_id = ?", uid(groupID)).Where("extension_id = ?", uid(entryID)).Exec(ctx)
	return affectedOne(res, err, "assignment")
}

// List pages a group's assignments by assignment id.
func (r *AssignmentRepository) List(ctx context.Context, groupID domain.ID, page application.PageRequest) (application.Page[application.Assignment], error) {
	q := r.view(ctx).Where("ge.group_id = ?", uid(groupID))
	return listByID(ctx, q, "ge.id", page, func(v *assignmentView) uuid.UUID { return v.AssignmentID },
		infallible((*assignmentView).toApp))
}
