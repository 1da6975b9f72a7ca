package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

// ListAPIKeys lists a group's keys, newest first, revoked ones included
// (they say who could have acted when). Secrets are never available.
type ListAPIKeys struct {
	Keys APIKeyRepository
}

// Execute returns the keys. Errors: unavailable when the database is down.
func (uc ListAPIKeys) Execute(ctx context.Context, groupID domain.ID) (_ []apikey.Key, err error) {
	ctx, obs := observe(ctx, "ListAPIKeys")
	defer obs.end(&err)
	return uc.Keys.ListByGroup(ctx, groupID)
}
