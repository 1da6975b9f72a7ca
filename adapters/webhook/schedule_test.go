package webhook

import (
	"testing"
	"time"
)

func TestMaxAttemptsMatchesSchedule(t *testing.T) {
	if MaxAttempts != len(retryDelays)+1 {
		t.Fatalf("MaxAttempts = %d, schedule has %d delays", MaxAttempts, len(retryDelays))
	}
}

func TestNextAttemptScheduleWithoutJitter(t *testing.T) {
	mid := func() float64 { return 0.5 } // factor exactly 1
	want := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}
	for attempt, w := range want {
		if got := NextAttempt(attempt, mid); got != w {
			t.Errorf("NextAttempt(%d) = %v, want %v", attempt, got, w)
		}
	}
	var total time.Duration
	for a := 1; a < MaxAttempts; a++ {
		total += NextAttempt(a, mid)
	}
	if total < 60*time.Hour || total > 84*time.Hour {
		t.Fatalf("schedule totals %v, want about three days", total)
	}
	if got := NextAttempt(100, mid); got != 10*time.Hour {
		t.Fatalf("past the table: %v", got)
	}
}

func TestNextAttemptJitterStaysWithin20Percent(t *testing.T) {
	low := NextAttempt(4, func() float64 { return 0 })
	high := NextAttempt(4, func() float64 { return 0.999999 })
	if low != 96*time.Minute {
		t.Fatalf("low = %v, want 1h36m", low)
	}
	if high <= 143*time.Minute || high > 144*time.Minute {
		t.Fatalf("high = %v, want just under 2h24m", high)
	}
	for i := 0; i < 1000; i++ {
		d := NextAttempt(3, nil)
		if d < 24*time.Minute || d > 36*time.Minute {
			t.Fatalf("NextAttempt(3) = %v outside ±20%% of 30m", d)
		}
	}
}
