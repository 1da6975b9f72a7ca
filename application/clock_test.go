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
