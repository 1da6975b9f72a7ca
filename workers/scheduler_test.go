package workers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

func TestThreeSchedulersEnqueueEachPeriodOnce(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	const period = 250 * time.Millisecond
	var mu sync.Mutex
	runs := map[time.Time]int{}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeStaleScan, func(ctx context.Context, task *asynq.Task) error {
		p, err := decode[periodicPayload](task)
		if err != nil {
			return err
		}
		mu.Lock()
		runs[p.PeriodStart]++
		mu.Unlock()
		return nil
	})
	rdb := goredis.NewClient(h.redis)
	t.Cleanup(func() { _ = rdb.Close() })
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: QueueWeights, TaskCheckInterval: 20 * time.Millisecond,
		LogLevel: asynq.FatalLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)

	var schedulers []interface{ Run(context.Context) error }
	for range 3 {
		c := goredis.NewClient(h.redis)
		t.Cleanup(func() { _ = c.Close() })
		schedulers = append(schedulers, NewScheduler(NewQueue(c), []Periodic{{Type: TypeStaleScan, Period: period}}, h.log))
	}
	stop := h.start(schedulers...)
	time.Sleep(12 * period)
	stop()
	time.Sleep(3 * period) // let the last periods' tasks run

	mu.Lock()
	defer mu.Unlock()
	if len(runs) < 10 {
		t.Errorf("%d periods ran in 12 periods' time, want at least 10", len(runs))
	}
	for start, n := range runs {
		if n != 1 {
			t.Errorf("period %s ran %d times", start.Format("15:04:05.000"), n)
		}
		if !start.Equal(start.Truncate(period)) {
			t.Errorf("period start %s is not on a period boundary", start)
		}
	}
}
