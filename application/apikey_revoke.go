package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// RevokeAPIKey ends a key. The revocation takes effect on the very next
// request on every instance: after the commit it publishes an invalidation
// that empties every instance's authentication cache entry for the key.
type RevokeAPIKey struct {
	Tx          Transactor
	Keys        APIKeyRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator APIKeyInvalidator
}

// Execute revokes keyID; revoking a revoked key changes nothing and writes
// no second audit row. Revoking takes the power creating the key took (see
// checkScopeGrant): otherwise an editor could cut off the automation an
// admin runs on an admin key. The rule lives here so every caller is held
// to it. Errors: not_found, forbidden (the key's scopes above revoker's role).
func (uc RevokeAPIKey) Execute(ctx context.Context, actor audit.Actor, revoker user.Role, keyID domain.ID) (err error) {
	ctx, obs := observe(ctx, "RevokeAPIKey")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		k, err := uc.Keys.Get(ctx, keyID)
		if err != nil {
			return err
		}
		if err := checkScopeGrant(revoker, k.Scopes(), "revoke"); err != nil {
			return err
		}
		if k.IsRevoked() {
			return nil
		}
		now := uc.Clock.Now()
		revoked := k.Revoke(now)
		if err := uc.Keys.SaveRevocation(ctx, revoked); err != nil {
			return err
		}
		ev, err := audit.NewEvent(audit.EventParams{Type: audit.APIKeyRevoked, Actor: actor, GroupID: k.GroupID(),
			TargetType: audit.TargetAPIKey, TargetID: k.ID(), CreatedAt: now,
			Details: map[string]any{"name": k.Name(), "key_prefix": k.KeyPrefix()}})
		if err != nil {
			return err
		}
		return uc.Audit.Append(ctx, ev)
	})
	if err != nil {
		return err
	}
	// Invalidate even when it was already revoked: a retry after a lost
	// publish must be able to repair the caches.
	uc.Invalidator.KeyChanged(ctx, keyID)
	return nil
}
