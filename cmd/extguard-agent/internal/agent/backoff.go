package agent

import (
	"math/rand/v2"
	"time"
)

// backoff spaces retries while the server cannot be reached: doubling from min up to max, with half
// of each wait random so that a fleet that lost the server at the same moment does not come back in
// step and knock it over again.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	half := b.cur / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.cur = 0 }
