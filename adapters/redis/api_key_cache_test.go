package redis

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/redis/redistest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

// keySource is a database stand-in that counts lookups and can forget keys.
type keySource struct {
	mu      sync.Mutex
	keys    map[apikey.Digest]apikey.Key
	lookups atomic.Int64
}

func (s *keySource) FindByDigest(_ context.Context, digest apikey.Digest) (apikey.Key, error) {
	s.lookups.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[digest]
	if !ok {
		return apikey.Key{}, domain.NotFound("api key")
	}
	return k, nil
}

type fakeClock struct{ at atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.at.Load()).UTC() }
func (c *fakeClock) set(t time.Time)         { c.at.Store(t.UnixNano()) }
func (c *fakeClock) advance(d time.Duration) { c.at.Add(int64(d)) }

// A fleet's shared key must not expire under its requests: Refresh reloads
// it before it would, so no request waits on the database, and a key the
// database no longer has is dropped at the next refresh.
func TestAPIKeyCacheRefreshesKeysBeforeTheyExpire(t *testing.T) {
	fc := &fakeClock{}
	fc.set(time.Now())
	old := clock
	clock = fc
	t.Cleanup(func() { clock = old })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := NewBus(redistest.Client(t), slog.New(slog.DiscardHandler))
	go func() { _ = bus.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); !bus.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("bus never connected")
		}
	}
	secret, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := apikey.NewKey(apikey.KeyParams{ID: domain.NewID(), GroupID: domain.NewID(), Secret: secret,
		Name: "fleet", Scopes: []string{"agent"}})
	if err != nil {
		t.Fatal(err)
	}
	src := &keySource{keys: map[apikey.Digest]apikey.Key{secret.Digest(): key}}
	c := NewAPIKeyCache(src, bus)

	lookup := func() error { _, err := c.FindByDigest(ctx, secret.Digest()); return err }
	if err := lookup(); err != nil || src.lookups.Load() != 1 {
		t.Fatalf("first lookup: %v, %d source reads", err, src.lookups.Load())
	}
	c.Refresh(ctx) // fresh: nothing to do
	if n := src.lookups.Load(); n != 1 {
		t.Fatalf("a fresh key was reloaded (%d reads)", n)
	}
	fc.advance(APIKeyTTL * 3 / 4)
	c.Refresh(ctx) // within half a TTL of expiring: reloaded in the background
	if n := src.lookups.Load(); n != 2 {
		t.Fatalf("refresh read the source %d times, want 2 in all", n)
	}
	fc.advance(APIKeyTTL / 2) // past the first load's expiry
	if err := lookup(); err != nil || src.lookups.Load() != 2 {
		t.Fatalf("lookup after the first expiry: %v, %d source reads (want it served from memory)", err, src.lookups.Load())
	}

	src.mu.Lock()
	delete(src.keys, secret.Digest())
	src.mu.Unlock()
	fc.advance(APIKeyTTL / 2)
	c.Refresh(ctx)
	if err := lookup(); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("a key gone from the database still authenticates: %v", err)
	}
}
