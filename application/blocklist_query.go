package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// GetBlocklistEntry reads one blocklist entry.
type GetBlocklistEntry struct{ Blocklist BlocklistRepository }

// Execute answers the entry. Errors: not_found.
func (uc GetBlocklistEntry) Execute(ctx context.Context, id domain.ID) (_ blocklist.Entry, err error) {
	ctx, obs := observe(ctx, "GetBlocklistEntry")
	defer obs.end(&err)
	return uc.Blocklist.Get(ctx, id)
}

// ListBlocklist pages the blocklist.
type ListBlocklist struct{ Blocklist BlocklistRepository }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListBlocklist) Execute(ctx context.Context, f BlocklistFilter, page PageRequest) (_ Page[blocklist.Entry], err error) {
	ctx, obs := observe(ctx, "ListBlocklist")
	defer obs.end(&err)
	return uc.Blocklist.List(ctx, f, page)
}
