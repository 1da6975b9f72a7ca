package application

import (
	"context"

	"github.com/extguard/extguard/domain"
)

// ListAssignments pages a group's assignments with their catalog entries.
type ListAssignments struct {
	Groups      GroupRepository
	Assignments AssignmentRepository
}

// Execute answers one page. Errors: not_found (group), invalid (cursor).
func (uc ListAssignments) Execute(ctx context.Context, groupID domain.ID, page PageRequest) (_ Page[Assignment], err error) {
	ctx, obs := observe(ctx, "ListAssignments")
	defer obs.end(&err)
	if _, err := uc.Groups.Get(ctx, groupID); err != nil {
		return Page[Assignment]{}, err
	}
	return uc.Assignments.List(ctx, groupID, page)
}
