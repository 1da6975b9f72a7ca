package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// GroupRepository stores groups.
type GroupRepository struct{ db *bun.DB }

var _ application.GroupRepository = (*GroupRepository)(nil)

// NewGroupRepository returns the repository on db.
func NewGroupRepository(db *bun.DB) *GroupRepository { return &GroupRepository{db: db} }

// Create inserts g; a taken name (case-insensitive) is a conflict.
func (r *GroupRepository) Create(ctx context.Context, g group.Group) error {
	_, err := conn(ctx, r.db).NewInsert().Model(groupRowFrom(g)).ExcludeColumn("deleted_at").Exec(ctx)
	return translate(err, "group with this name")
}

// Get reads a group that is not deleted.
func (r *GroupRepository) Get(ctx context.Context, id domain.ID) (group.Group, error) {
	return getByID(ctx, r.db, id, "group", (*groupRow).toDomain)
}

// Update changes the locked group with change (see updateByID).
func (r *GroupRepository) Update(ctx context.Context, id domain.ID, change func(group.Group) (group.Group, error)) (group.Group, error) {
	return updatePolicyRow(ctx, r.db, "groups", id, "group", (*groupRow).toDomain, change, r.store)
}

// store writes every column but created_at.
func (r *GroupRepository) store(ctx context.Context, g group.Group) error {
	res, err := conn(ctx, r.db).NewUpdate().Model(groupRowFrom(g)).ExcludeColumn("id", "created_at", "deleted_at").WherePK().Exec(ctx)
	if IsUniqueViolation(err) {
		return domain.Conflict("group with this name already exists")
	}
	return affectedOne(res, err, "group")
}

// Delete soft-deletes the group.
func (r *GroupRepository) Delete(ctx context.Context, id domain.ID, at time.Time) error {
	return softDelete[groupRow](ctx, conn(ctx, r.db), id, at, "group")
}

// List pages groups by id.
func (r *GroupRepository) List(ctx context.Context, f application.GroupFilter, page application.PageRequest) (application.Page[group.Group], error) {
	q := conn(ctx, r.db).NewSelect().Model((*groupRow)(nil))
	if f.Name != "" {
		q = q.Where("lower(name) = lower(?)", f.Name)
	}
	return listByID(ctx, q, "id", page, func(r *groupRow) uuid.UUID { return r.ID }, (*groupRow).toDomain)
}

// CountEnrolledAgents counts agents that still belong to the group.
func (r *GroupRepository) CountEnrolledAgents(ctx context.Context, id domain.ID) (int, error) {
	n, err := conn(ctx, r.db).NewSelect().TableExpr("agents").
		Where("group_id = ?", uid(id)).Where("deleted_at IS NULL").Where("status <> 'decommissioned'").Count(ctx)
	return int(n), err
}
