package application

import (
	"sync"
	"time"
)

// Throttle lets one event per subject through per interval. It keeps the
// audit log readable under attack: a revoked key tried every second writes
// one row per interval per instance, not one per request. Subjects are
// bounded by what exists (keys, agents), and entries older than the
// interval are swept, so memory stays small.
type Throttle struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	sweptAt  time.Time
}

// NewThrottle returns a throttle letting one event per subject through per interval.
func NewThrottle(interval time.Duration) *Throttle {
	return &Throttle{interval: interval, last: map[string]time.Time{}}
}

// Allow reports whether an event about subject at now should be recorded.
func (t *Throttle) Allow(subject string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.sweptAt) > t.interval {
		for s, at := range t.last {
			if now.Sub(at) >= t.interval {
				delete(t.last, s)
			}
		}
		t.sweptAt = now
	}
	if at, ok := t.last[subject]; ok && now.Sub(at) < t.interval {
		return false
	}
	t.last[subject] = now
	return true
}
