package application

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/extguard/extguard/domain"
)

// CoarseClock is the wall clock in UTC read from a value refreshed every
// CoarseClockResolution, not from the system clock. The agent API's hot
// path reads the time several times per request (cache expiry, rate-limit
// windows, key expiry, the heartbeat itself), and on our VMs each system
// clock read costs about 0.1 us, a tenth of a whole heartbeat's budget.
// Everything it times is measured in seconds or minutes, so a millisecond
// of resolution loses nothing. Use SystemClock where sub-millisecond order
// matters.
type CoarseClock struct{}

// CoarseClockResolution is how stale a CoarseClock reading may be (more,
// by the scheduling delay of the refreshing goroutine under full load).
const CoarseClockResolution = time.Millisecond

var (
	coarseNanos atomic.Int64
	coarseStart sync.Once
)

// Now returns the current UTC time to within CoarseClockResolution.
func (CoarseClock) Now() time.Time {
	coarseStart.Do(startCoarseClock)
	return time.Unix(0, coarseNanos.Load()).UTC()
}

// startCoarseClock sets the clock and starts refreshing it for the life of
// the process (one wake-up per millisecond).
func startCoarseClock() {
	coarseNanos.Store(time.Now().UnixNano())
	go func() {
		t := time.NewTicker(CoarseClockResolution)
		for now := range t.C {
			coarseNanos.Store(now.UnixNano())
		}
	}()
}

// SystemClock is the wall clock in UTC, at the precision timestamps are
// stored with (domain.Precision).
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(domain.Precision) }
