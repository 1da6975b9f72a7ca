package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

// APIKeyRepository stores API keys (hash and display prefix only, never
// the secret).
type APIKeyRepository interface {
	// Create inserts k. Errors: not_found when its group does not exist or
	// is deleted; conflict when the hash is already stored.
	Create(ctx context.Context, k apikey.Key) error
	// Get reads one key. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (apikey.Key, error)
	// ListByGroup reads all of a group's keys (to revoke them with it).
	ListByGroup(ctx context.Context, groupID domain.ID) ([]apikey.Key, error)
	// Update changes the locked key (the Update contract atop ports.go) and
	// stores its revoked_at, the only column that changes after creation.
	// Errors: not_found.
	Update(ctx context.Context, id domain.ID, change func(current apikey.Key) (apikey.Key, error)) (apikey.Key, error)
	// List pages a group's keys, newest first, revoked ones included.
	// Errors: invalid (cursor).
	List(ctx context.Context, groupID domain.ID, page PageRequest) (Page[apikey.Key], error)
}

// APIKeyLookup finds the key whose secret has the digest. The adapter
// serves it from a short-lived in-process cache that APIKeyInvalidator
// empties on every instance, and reads PostgreSQL while the invalidation
// channel is down. Errors: not_found for an unknown digest, unavailable when
// the database cannot be reached.
type APIKeyLookup interface {
	FindByDigest(ctx context.Context, digest apikey.Digest) (apikey.Key, error)
}

// APIKeyInvalidator tells every API instance that a key changed (revoked),
// so the next request presenting it is judged on the stored row. Call it
// after the change commits. It never fails the change: errors are logged by
// the adapter, and caches also expire on their own.
type APIKeyInvalidator interface {
	KeyChanged(ctx context.Context, keyID domain.ID)
}

// APIKeyUsage records successful authentications. The adapter coalesces
// them in memory and writes last_used_at in batches, so authenticating
// costs no database write. It never blocks and never fails.
type APIKeyUsage interface {
	KeyUsed(keyID domain.ID, at time.Time)
}
