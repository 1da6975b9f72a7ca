package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

// ListAPIKeys pages a group's keys, newest first, revoked ones included
// (they say who could have acted when). Secrets are never available.
type ListAPIKeys struct {
	Groups GroupRepository
	Keys   APIKeyRepository
}

// Execute answers one page. Errors: not_found (group), invalid (cursor).
func (uc ListAPIKeys) Execute(ctx context.Context, groupID domain.ID, page PageRequest) (_ Page[apikey.Key], err error) {
	ctx, obs := observe(ctx, "ListAPIKeys")
	defer obs.end(&err)
	if _, err := uc.Groups.Get(ctx, groupID); err != nil {
		return Page[apikey.Key]{}, err
	}
	return uc.Keys.List(ctx, groupID, page)
}
