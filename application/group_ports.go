package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// GroupRepository stores groups.
type GroupRepository interface {
	// Create inserts g. Errors: conflict (name taken).
	Create(ctx context.Context, g group.Group) error
	// Get returns a group that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (group.Group, error)
	// Update changes the locked group. Errors: not_found, conflict (name taken).
	Update(ctx context.Context, id domain.ID, change func(current group.Group) (group.Group, error)) (group.Group, error)
	// Delete soft-deletes the group. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages groups ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f GroupFilter, page PageRequest) (Page[group.Group], error)
	// CountEnrolledAgents counts the group's agents that are not
	// decommissioned or deleted.
	CountEnrolledAgents(ctx context.Context, id domain.ID) (int, error)
}

// GroupFilter narrows a group list.
type GroupFilter struct {
	Name string // exact, case-insensitive
}
