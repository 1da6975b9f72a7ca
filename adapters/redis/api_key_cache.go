package redis

import (
	"context"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

const topicAPIKey = "apikey"

// APIKeyTTL bounds how long a key is served from memory without news; a
// revocation empties it at once through the bus.
const APIKeyTTL = time.Minute

// APIKeyCache is a read-through cache of keys by digest in front of the
// database. Expiry needs no invalidation: it is judged on every request.
type APIKeyCache struct {
	bus   *Bus
	cache *localCache[apikey.Digest, apikey.Key]
}

var (
	_ application.APIKeyLookup      = (*APIKeyCache)(nil)
	_ application.APIKeyInvalidator = (*APIKeyCache)(nil)
)

// NewAPIKeyCache returns the cache on source, invalidated through bus.
func NewAPIKeyCache(source application.APIKeyLookup, bus *Bus) *APIKeyCache {
	c := &APIKeyCache{bus: bus, cache: newLocalCache(bus, APIKeyTTL,
		func(d apikey.Digest) uint16 { return uint16(d[0])<<8 | uint16(d[1]) }, source.FindByDigest)}
	bus.Handle(topicAPIKey, func(id string) {
		c.cache.dropWhere(func(k apikey.Key) bool { return k.ID().String() == id })
	})
	return c
}

// FindByDigest serves from memory when it can, else from the source.
func (c *APIKeyCache) FindByDigest(ctx context.Context, digest apikey.Digest) (apikey.Key, error) {
	return c.cache.fetch(ctx, digest, clock.Now())
}

// Run refreshes, every APIKeyTTL/4, the cached keys that would expire
// within APIKeyTTL/2, so that the keys a fleet shares never expire under
// its requests: a request waits on the database only for a key it is the
// first to present. A key the database no longer has is dropped; one that
// cannot be read now is left to expire, and the next request retries.
// The cache holds only keys that exist, and they are few.
func (c *APIKeyCache) Run(ctx context.Context) error {
	return application.Every(ctx, APIKeyTTL/4, c.Refresh)
}

// Refresh reloads the entries that would expire within APIKeyTTL/2.
func (c *APIKeyCache) Refresh(ctx context.Context) {
	for _, digest := range c.cache.expiringBefore(clock.Now().Add(APIKeyTTL / 2)) {
		if _, err := c.cache.load(ctx, digest, clock.Now()); domain.CodeOf(err) == domain.CodeNotFound {
			c.cache.drop(digest)
		}
	}
}

// KeyChanged drops the key here and on every other instance.
func (c *APIKeyCache) KeyChanged(ctx context.Context, keyID domain.ID) {
	c.bus.Publish(ctx, topicAPIKey, keyID.String())
}
