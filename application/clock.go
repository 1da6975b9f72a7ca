package application

import (
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
//
// The refreshing goroutine runs only while the clock is being read: after
// a tick without a read (coarseIdleTicks) it stops, and the next read starts
// it again (reading the system clock once). A ticker that never stopped
// woke an idle server a thousand times a second, 3.5% of a core.
type CoarseClock struct{}

// CoarseClockResolution is how stale a CoarseClock reading may be (more,
// by the scheduling delay of the refreshing goroutine under full load).
const CoarseClockResolution = time.Millisecond

// coarseIdleTicks is how many ticks without a read stop the refreshing:
// one, so that a caller reading the clock a few times a second (the rate
// limiter's 100 ms sync) costs two wake-ups per read, not more; a restart
// is one system clock read and a goroutine.
const coarseIdleTicks = 1

var (
	coarseNanos   atomic.Int64
	coarseRead    atomic.Bool // a read since the last tick
	coarseTicking atomic.Bool
)

// Now returns the current UTC time to within CoarseClockResolution.
func (CoarseClock) Now() time.Time {
	// Loaded before stored: under load the flag is already set, and a read
	// then writes nothing, so the readers share the cache line.
	if !coarseRead.Load() {
		coarseRead.Store(true)
	}
	if !coarseTicking.Load() {
		startCoarseClock()
	}
	return time.Unix(0, coarseNanos.Load()).UTC()
}

// startCoarseClock sets the clock from the system clock and starts the
// refreshing unless another reader already has. The value is stored before
// the flag, so a reader that sees the clock ticking reads a fresh value.
func startCoarseClock() {
	coarseNanos.Store(time.Now().UnixNano())
	if coarseTicking.CompareAndSwap(false, true) {
		go tickCoarseClock()
	}
}

// tickCoarseClock refreshes the clock until it has gone unread for
// coarseIdleTicks ticks.
func tickCoarseClock() {
	t := time.NewTicker(CoarseClockResolution)
	defer t.Stop()
	for idle := 0; idle < coarseIdleTicks; {
		now := <-t.C
		coarseNanos.Store(now.UnixNano())
		if coarseRead.Swap(false) {
			idle = 0
		} else {
			idle++
		}
	}
	// A read racing with this store saw the clock ticking and got a value
	// at most one tick old; the reads after it start the clock again.
	coarseTicking.Store(false)
}

// SystemClock is the wall clock in UTC, at the precision timestamps are
// stored with (domain.Precision).
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(domain.Precision) }
