package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// Assignment is a catalog entry assigned to a group.
type Assignment struct {
	ID         domain.ID
	GroupID    domain.ID
	Entry      extension.Entry
	IsRequired bool
	AddedBy    domain.ID
	CreatedAt  time.Time
	// ExpiresAt is when the expiry pass removes the assignment (a
	// time-limited approval of an extension request); zero: never.
	ExpiresAt time.Time
}

// AssignmentRepository stores group assignments (group_extensions).
type AssignmentRepository interface {
	// Get returns one assignment, its row locked until the caller's transaction
	// ends (PUT and DELETE decide from it). Errors: not_found.
	Get(ctx context.Context, groupID, entryID domain.ID) (Assignment, error)
	// Put inserts or updates the assignment (whether it is required and its
	// expiry: zero makes it permanent), answering whether it was new.
	Put(ctx context.Context, a Assignment) (created bool, err error)
	// Delete removes the assignment. Errors: not_found.
	Delete(ctx context.Context, groupID, entryID domain.ID) error
	// List pages a group's assignments ordered by assignment id. Errors: invalid (cursor).
	List(ctx context.Context, groupID domain.ID, page PageRequest) (Page[Assignment], error)
}
