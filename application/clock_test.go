package application

import (
	"testing"
	"time"
)

func TestCoarseClockFollowsTheSystemClock(t *testing.T) {
	t.Parallel()
	var c CoarseClock
	first := c.Now()
	if d := time.Since(first); d < -time.Millisecond || d > time.Second {
		t.Fatalf("coarse clock is %s away from the system clock", d)
	}
	time.Sleep(20 * time.Millisecond)
	if moved := c.Now().Sub(first); moved < 10*time.Millisecond {
		t.Fatalf("coarse clock moved %s in 20ms of sleep", moved)
	}
	if c.Now().Location() != time.UTC {
		t.Fatal("coarse clock is not in UTC")
	}
}

// An idle process must not pay for the clock: once nobody reads it, the
// refreshing stops, and a read after the pause is still current.
func TestCoarseClockStopsTickingWhenNotReadAndResumes(t *testing.T) {
	var c CoarseClock
	c.Now()
	deadline := time.Now().Add(time.Second)
	for coarseTicking.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the coarse clock still ticks a second after its last read")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	if d := time.Since(c.Now()); d < -time.Millisecond || d > 2*CoarseClockResolution {
		t.Fatalf("the first read after a pause is %s behind", d)
	}
	if !coarseTicking.Load() {
		t.Fatal("a read did not start the clock again")
	}
}

// While it is read the clock keeps up with the system clock. A loaded
// machine (a full test run on two cores) can leave the refreshing goroutine
// unscheduled for tens of milliseconds now and then, so single late reads
// are tolerated: what must not happen is a clock that stays behind (most
// reads late) or falls far behind (a second).
func TestCoarseClockStaysCurrentWhileRead(t *testing.T) {
	var c CoarseClock
	reads, late := 0, 0
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); reads++ {
		d := time.Since(c.Now())
		if d > time.Second {
			t.Fatalf("coarse clock %s behind while being read", d)
		}
		if d > 20*time.Millisecond {
			late++
		}
		time.Sleep(200 * time.Microsecond)
	}
	if late*4 > reads {
		t.Fatalf("coarse clock more than 20ms behind in %d of %d reads while being read", late, reads)
	}
}

func BenchmarkCoarseClockNow(b *testing.B) {
	var c CoarseClock
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Now()
		}
	})
}
