package application_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
)

// livenessSpy is the AgentLiveness: the thresholds are applied in SQL
// (adapters/postgres stale_test.go), so here it only records the time it
// was asked about.
type livenessSpy struct {
	asked []time.Time
	res   application.StaleScanResult
	err   error
}

func (l *livenessSpy) MarkSilentAgents(_ context.Context, now time.Time) (application.StaleScanResult, error) {
	l.asked = append(l.asked, now)
	return l.res, l.err
}

// The scan judges silence as of the application's clock, once per run, and
// answers what the store counted or its error.
func TestDetectStaleAgentsScansAsOfTheClock(t *testing.T) {
	t.Parallel()
	spy := &livenessSpy{res: application.StaleScanResult{Stale: 2, Offline: 1}}
	uc := application.DetectStaleAgents{Tx: runInline{}, Liveness: spy, Clock: fixedClock{}}
	res, err := uc.Execute(context.Background())
	if err != nil || res != spy.res {
		t.Fatalf("scan: %+v, %v; want %+v", res, err, spy.res)
	}
	if len(spy.asked) != 1 || !spy.asked[0].Equal(fixedClock{}.Now()) {
		t.Fatalf("asked about %v, want once, at the clock's time", spy.asked)
	}
	spy.err = errors.New("database down")
	if _, err := uc.Execute(context.Background()); !errors.Is(err, spy.err) {
		t.Fatalf("failed scan: %v, want the store's error", err)
	}
}
