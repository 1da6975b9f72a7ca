package redis

import (
	"testing"
	"time"
)

// Entries loaded together expire over the last spread of the TTL, never
// after it: a fleet's agents, cached in the same minute, must not all be
// read from the database again in the same second.
func TestLifetimeSpreadsExpiriesWithinTheTTL(t *testing.T) {
	c := &localCache[int, int]{ttl: time.Hour, spread: 0.2}
	lo, hi := c.ttl, time.Duration(0)
	for range 1000 {
		d := c.lifetime()
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 48*time.Minute || hi > time.Hour || hi-lo < 10*time.Minute {
		t.Fatalf("lifetimes from %s to %s, want spread over [48m, 1h]", lo, hi)
	}
	if d := (&localCache[int, int]{ttl: time.Minute}).lifetime(); d != time.Minute {
		t.Fatalf("no spread: lifetime %s, want the TTL", d)
	}
}
