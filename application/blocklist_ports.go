package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// BlocklistRepository stores blocklist entries.
type BlocklistRepository interface {
	// Create inserts e. Errors: conflict (same type and pattern).
	Create(ctx context.Context, e blocklist.Entry) error
	// Get returns an entry that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (blocklist.Entry, error)
	// Update changes the locked entry. Errors: not_found, conflict.
	Update(ctx context.Context, id domain.ID, change func(current blocklist.Entry) (blocklist.Entry, error)) (blocklist.Entry, error)
	// Delete soft-deletes the entry. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// List pages entries ordered by id. Errors: invalid (cursor).
	List(ctx context.Context, f BlocklistFilter, page PageRequest) (Page[blocklist.Entry], error)
	// LockAll keeps every other writer of the blocklist waiting until the
	// caller's transaction ends (a policy apply checks its revision and
	// writes under it). Only inside a transaction.
	LockAll(ctx context.Context) error
}

// BlocklistFilter narrows a blocklist list.
type BlocklistFilter struct {
	PatternType blocklist.PatternType
	IsActive    *bool
}
