package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/extguard/extguard/application"
)

// commitLog is the report store as the batcher sees it, with the start,
// duration and size of every batch it wrote (-timeline).
type commitLog struct {
	application.ReportStore
	mu      sync.Mutex
	commits []commit
}

type commit struct {
	start   time.Time
	took    time.Duration
	reports int
}

func (l *commitLog) StoreReports(ctx context.Context, batch []application.StoredReport) error {
	start := time.Now()
	err := l.ReportStore.StoreReports(ctx, batch)
	l.mu.Lock()
	l.commits = append(l.commits, commit{start: start, took: time.Since(start), reports: len(batch)})
	l.mu.Unlock()
	return err
}

// since is the batches that started at or after t. The log is in order of
// completion, not of start (batches overlap), so it is filtered whole.
func (l *commitLog) since(t time.Time) []commit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []commit
	for _, c := range l.commits {
		if !c.start.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// printTimeline prints the fixed-rate phase second by second: the latency
// of the requests scheduled in that second, and the batches that started
// in it. A slow second is then seen with what the database did meanwhile
// (a checkpoint's fsync, say: compare with PostgreSQL's log).
func printTimeline(start time.Time, rate int, latencies []time.Duration, commits []commit) {
	bySecond := map[int][]commit{}
	for _, c := range commits {
		sec := int(c.start.Sub(start) / time.Second)
		bySecond[sec] = append(bySecond[sec], c)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for sec := 0; sec*rate < len(latencies); sec++ {
		p50, p99, maximum := percentiles(slices.Clone(latencies[sec*rate : min(len(latencies), (sec+1)*rate)]))
		var longest, total time.Duration
		reports := 0
		for _, c := range bySecond[sec] {
			longest, total, reports = max(longest, c.took), total+c.took, reports+c.reports
		}
		batches := max(len(bySecond[sec]), 1)
		fmt.Printf("%s  latency p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms | %4d batches of %4.1f reports, commit mean %5.1f ms, max %6.1f ms\n",
			start.Add(time.Duration(sec)*time.Second).UTC().Format("15:04:05"), ms(p50), ms(p99), ms(maximum),
			len(bySecond[sec]), float64(reports)/float64(batches), ms(total)/float64(batches), ms(longest))
	}
}
