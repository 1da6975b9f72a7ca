package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/group"
)

// GetGroup reads one group.
type GetGroup struct{ Groups GroupRepository }

// Execute answers the group. Errors: not_found.
func (uc GetGroup) Execute(ctx context.Context, id domain.ID) (_ group.Group, err error) {
	ctx, obs := observe(ctx, "GetGroup")
	defer obs.end(&err)
	return uc.Groups.Get(ctx, id)
}

// ListGroups pages groups.
type ListGroups struct{ Groups GroupRepository }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListGroups) Execute(ctx context.Context, f GroupFilter, page PageRequest) (_ Page[group.Group], err error) {
	ctx, obs := observe(ctx, "ListGroups")
	defer obs.end(&err)
	return uc.Groups.List(ctx, f, page)
}
