package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
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
		now := uc.Clock.Now()
		var k apikey.Key
		// On the locked row, so of two concurrent revocations only the first
		// revokes and audits.
		_, err := uc.Keys.Update(ctx, keyID, func(current apikey.Key) (apikey.Key, error) {
			if err := checkScopeGrant(revoker, current.Scopes(), "revoke"); err != nil {
				return current, err
			}
			k = current
			return current.Revoke(now), nil
		})
		if err != nil || k.IsRevoked() {
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
