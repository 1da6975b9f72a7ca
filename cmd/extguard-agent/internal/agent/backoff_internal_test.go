package agent

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithJitterUpToItsCap(t *testing.T) {
	b := backoff{min: time.Second, max: 8 * time.Second}
	for i, ceiling := range []time.Duration{1, 2, 4, 8, 8, 8} {
		ceiling *= time.Second
		if d := b.next(); d < ceiling/2 || d > ceiling {
			t.Fatalf("wait %d = %v, want within [%v, %v]", i, d, ceiling/2, ceiling)
		}
	}
	b.reset()
	if d := b.next(); d > time.Second {
		t.Fatalf("after reset the wait is %v, want at most the minimum", d)
	}
}
