package application

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// CreateAPIKey issues a key for a group (or, with groupID NilID, a key not
// bound to a group, for automation with admin or read scopes). The secret is
// returned once, here; only its hash is stored.
type CreateAPIKey struct {
	Tx    Transactor
	Keys  APIKeyRepository
	Audit AuditLog
	Clock Clock
}

// Execute validates and stores the key, audited in the same transaction.
// The rule lives here, not in a caller, so no path can mint a key more
// powerful than the one asking (see checkScopeGrant). Errors: invalid
// (name, scopes, expires_at), forbidden (scopes above granter's role),
// not_found (group).
func (uc CreateAPIKey) Execute(ctx context.Context, actor audit.Actor, granter user.Role, groupID domain.ID, name string, scopes []string, expiresAt *time.Time) (_ apikey.Key, _ apikey.Secret, err error) {
	ctx, obs := observe(ctx, "CreateAPIKey")
	defer obs.end(&err)
	// Unknown scopes are NewKey's to refuse (400), after this check.
	if parsed, perr := apikey.ParseScopes(scopes); perr == nil {
		if err := checkScopeGrant(granter, parsed, "create"); err != nil {
			return apikey.Key{}, apikey.Secret{}, err
		}
	}
	secret, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		return apikey.Key{}, apikey.Secret{}, err
	}
	p := apikey.KeyParams{GroupID: groupID, CreatedBy: userID(actor), Secret: secret, Name: name,
		Scopes: scopes, CreatedAt: uc.Clock.Now()}
	if expiresAt != nil {
		p.ExpiresAt = *expiresAt
	}
	k, err := apikey.NewKey(p)
	if err != nil {
		return apikey.Key{}, apikey.Secret{}, err
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Keys.Create(ctx, k); err != nil {
			return err
		}
		details := map[string]any{"name": k.Name(), "key_prefix": k.KeyPrefix(), "scopes": k.ScopesString()}
		if !k.ExpiresAt().IsZero() {
			details["expires_at"] = k.ExpiresAt().Format(time.RFC3339)
		}
		ev, err := audit.NewEvent(audit.EventParams{Type: audit.APIKeyCreated, Actor: actor, GroupID: groupID,
			TargetType: audit.TargetAPIKey, TargetID: k.ID(), Details: details, CreatedAt: p.CreatedAt})
		if err != nil {
			return err
		}
		return uc.Audit.Append(ctx, ev)
	})
	if err != nil {
		return apikey.Key{}, apikey.Secret{}, err
	}
	return k, secret, nil
}

// checkScopeGrant refuses to let a principal mint (or revoke, verb) a key
// more powerful than itself: an admin or read key acts as an admin or
// auditor, so only admins may create or revoke them; editors may create and
// revoke agent keys for the fleet.
func checkScopeGrant(granter user.Role, scopes []apikey.Scope, verb string) error {
	if granter == user.RoleAdmin {
		return nil
	}
	for _, s := range scopes {
		if s != apikey.ScopeAgent {
			return domain.Forbidden("only admins may " + verb + " API keys with the " + string(s) + " scope")
		}
	}
	return nil
}
