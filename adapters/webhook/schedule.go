package webhook

import (
	"math/rand/v2"
	"time"
)

// retryDelays is the wait after each failed attempt: the Standard Webhooks
// suggested schedule (immediately, 5s, 5m, 30m, 2h, 5h, 10h, 10h) extended
// with more 10h steps so that an endpoint is tried for about three days
// before it is given up on, which rides out a weekend outage of a receiver.
//
//	attempt  1: immediately
//	attempt  2: +5s         attempt  7: +10h
//	attempt  3: +5m         attempt  8: +10h
//	attempt  4: +30m        attempt  9: +10h
//	attempt  5: +2h         attempt 10: +10h
//	attempt  6: +5h         attempt 11: +10h
//	                        attempt 12: +10h
//
// The last attempt is due about 67h35m (2.8 days) after the first, each wait
// varied by ±20%.
var retryDelays = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 10 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxAttempts is how many times one message is attempted before the delivery
// is abandoned (and, if the endpoint failed throughout, disabled).
const MaxAttempts = 12 // len(retryDelays) + 1; a test keeps them in step

// jitter spreads retries by ±20% so that the deliveries of many events that
// failed together (one receiver outage) do not come back in a single burst.
const jitter = 0.2

// NextAttempt returns how long to wait after the given attempt (1-based)
// failed before making the next one. Attempt 0 (nothing tried yet) is due
// immediately. Callers stop once attempt >= MaxAttempts; past the table the
// last step is repeated. rnd returns a value in [0, 1); nil uses math/rand.
func NextAttempt(attempt int, rnd func() float64) time.Duration {
	if attempt <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	d := retryDelays[min(attempt, len(retryDelays))-1]
	factor := 1 - jitter + 2*jitter*rnd()
	return time.Duration(float64(d) * factor)
}
