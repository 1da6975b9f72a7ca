// Package redistest gives each test binary its own Redis database index, so
// test packages running in parallel never see each other's keys or queues.
// A missing server fails the tests; it never skips them.
package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServerURL is the Redis server the tests use (its database index is ignored).
func ServerURL() string {
	if v := os.Getenv("EXTGUARD_TEST_REDIS_URL"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// Indexes 1..15 are handed out; 0 is left for people running the server.
const firstIndex, lastIndex = 1, 15

// A claim expires on its own so a crashed test binary cannot hold an index
// forever; a live binary refreshes it.
const claimTTL = 2 * time.Minute

var (
	once     sync.Once
	claimed  int
	claimErr error
)

// URL returns a Redis URL on a database index claimed by this test binary and
// flushed before first use.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { claimed, claimErr = claim(context.Background()) })
	if claimErr != nil {
		t.Fatalf("redistest: Redis is required for these tests (%s): %v", ServerURL(), claimErr)
	}
	u, _ := url.Parse(ServerURL())
	u.Path = "/" + strconv.Itoa(claimed)
	return u.String()
}

// Client returns a client on this test binary's database index, closed when
// the test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(URL(t))
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns the go-redis options for this test binary's index.
func Options(t testing.TB) *redis.Options {
	t.Helper()
	opts, err := redis.ParseURL(URL(t))
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return opts
}

func claim(ctx context.Context) (int, error) {
	opts, err := redis.ParseURL(ServerURL())
	if err != nil {
		return 0, err
	}
	opts.DB = 0
	c := redis.NewClient(opts)
	token := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for i := firstIndex; i <= lastIndex; i++ {
			key := fmt.Sprintf("extguard:test:db:%d", i)
			ok, err := c.SetNX(ctx, key, token, claimTTL).Result()
			if err != nil {
				_ = c.Close()
				return 0, err
			}
			if ok {
				go keepClaim(c, key, token)
				return i, flush(ctx, opts, i)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = c.Close()
	return 0, fmt.Errorf("no free Redis database index in %d..%d", firstIndex, lastIndex)
}

// keepClaim refreshes the claim until the test binary exits.
func keepClaim(c *redis.Client, key, token string) {
	for range time.Tick(claimTTL / 3) {
		c.Expire(context.Background(), key, claimTTL)
	}
}

func flush(ctx context.Context, base *redis.Options, index int) error {
	o := *base
	o.DB = index
	c := redis.NewClient(&o)
	defer c.Close()
	return c.FlushDB(ctx).Err()
}
