package main

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/extguard/extguard/protocol/agentv1"
)

// fleet is the simulated agents: their state, and one schedule of what
// each does next (a heap, so a million agents cost a million small
// structs, not a million goroutines), run by a fixed set of workers.
type fleet struct {
	o          options
	c          *client
	admin      admin
	agents     []*simAgent
	tag        string // this run's, in its extension and machine ids
	incidentID string

	mu     sync.Mutex
	events eventHeap
	work   chan event
	stopCh chan struct{}
	wg     sync.WaitGroup
}

type ext struct{ id, version string }

type simAgent struct {
	mu      sync.Mutex
	key     string // the agent key it enrolled with
	id      string
	etag    string
	exts    []ext
	removed []ext // uninstalled since the last report
}

type eventKind uint8

const (
	doHeartbeat eventKind = iota
	doFullReport
	doChange
)

type event struct {
	at    time.Time
	agent int
	kind  eventKind
}

type eventHeap []event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// newFleet gives each agent its extensions out of o.distinct ids; the
// incident extension is on o.incidentShare of them.
func newFleet(o options, c *client, a admin) *fleet {
	tag := strconv.FormatInt(time.Now().Unix(), 36)
	f := &fleet{o: o, c: c, admin: a, tag: tag, incidentID: "incident-" + tag + ".pack", work: make(chan event, o.workers), stopCh: make(chan struct{})}
	f.agents = make([]*simAgent, o.fleet)
	for i := range f.agents {
		s := &simAgent{}
		if len(a.agentKeys) > 0 {
			s.key = a.keyOf(i)
		}
		for k := 0; k < o.extensions; k++ {
			id := "pub" + strconv.Itoa((i*31+k*7919)%o.distinct%97) + "-" + tag + ".ext" + strconv.Itoa((i*31+k*7919)%o.distinct)
			if k == 0 && float64(i%1000) < 1000*o.incidentShare {
				id = f.incidentID
			}
			s.exts = append(s.exts, ext{id: id, version: "1.0." + strconv.Itoa(k)})
		}
		f.agents[i] = s
	}
	return f
}

func (f *fleet) agentHeaders(s *simAgent) map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.key, agentv1.HeaderAgentID: s.id}
}

// machinePrefix is the run's agents' machine ids without the agent's index.
func (f *fleet) machinePrefix() string { return "fleet-" + f.incidentID + "-" }

// analyzeAfter is when, into the enrollment, a PostgreSQL without
// autovacuum gets its one ANALYZE: once its statistics say the tables are
// not empty, its estimates grow with their size.
const analyzeAfter = 1000

// enroll enrolls agents [0, n) at o.enrollRate and sends each one's first
// report (every row new), before the steady state is measured; each agent
// then heartbeats and reports from its enrollment on.
func (f *fleet) enroll(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, f.o.enrollTimeout)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range f.o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := f.agents[i]
				var e agentv1.Enrollment
				req := agentv1.EnrollRequest{MachineID: f.machinePrefix() + strconv.Itoa(i), UserHash: fmt.Sprintf("%064x", i),
					DisplayName: "sim-" + strconv.Itoa(i), Platform: "linux-x64", AgentVersion: "sim-1"}
				if _, _, err := f.c.do(ctx, "enroll", "POST", agentv1.PathEnroll,
					map[string]string{"Authorization": "Bearer " + s.key}, req, &e); err != nil {
					continue
				}
				s.mu.Lock()
				s.id, s.etag = e.AgentID, e.PolicyETag
				s.mu.Unlock()
				f.report(ctx, s)
				f.joined(i, e.AgentID, e.PolicyETag)
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(max(f.o.enrollRate, 1)))
	defer tick.Stop()
	for i := range n {
		select {
		case <-ctx.Done():
			close(next)
			wg.Wait()
			return fmt.Errorf("enrolling: %w after %d agents", ctx.Err(), i)
		case <-tick.C:
		}
		if i == analyzeAfter {
			// agents only: a whole-database ANALYZE here held the
			// enrollments' reports for 15 s (503) on the shared VM.
			_ = analyzeIfNoAutovacuum(ctx, f.o.databaseURL, "agents") // a failure leaves the planner's guess, no more
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return nil
}

// run starts the dispatcher and the workers, with no agent scheduled yet:
// each agent joins when it is enrolled (joined).
func (f *fleet) run(ctx context.Context) {
	f.wg.Add(1)
	go f.dispatch(ctx)
	for range f.o.workers {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for e := range f.work {
				f.handle(ctx, e)
			}
		}()
	}
}

// joined records agent i's enrollment and schedules its first heartbeat,
// full report and change at random points of their periods.
func (f *fleet) joined(i int, id, etag string) {
	s := f.agents[i]
	s.mu.Lock()
	s.id, s.etag = id, etag
	s.mu.Unlock()
	now := time.Now()
	hb, full := f.heartbeatEvery(), f.fullReportEvery()
	f.mu.Lock()
	heap.Push(&f.events, event{now.Add(time.Duration(rand.Int64N(int64(hb)))), i, doHeartbeat})
	heap.Push(&f.events, event{now.Add(time.Duration(rand.Int64N(int64(full)))), i, doFullReport})
	heap.Push(&f.events, event{now.Add(f.nextChange()), i, doChange})
	f.mu.Unlock()
}

func (f *fleet) stop() {
	close(f.stopCh)
	f.wg.Wait()
}

func (f *fleet) heartbeatEvery() time.Duration { return time.Duration(f.o.heartbeat) * time.Second }

// fullReportEvery is the agent's 6-hour full report, time-scaled.
func (f *fleet) fullReportEvery() time.Duration {
	return time.Duration(float64(6*time.Hour) / f.o.timeScale)
}

// nextChange draws the time to an agent's next inventory change: a
// Poisson process of changesPerDay a simulated day.
func (f *fleet) nextChange() time.Duration {
	if f.o.changesPerDay <= 0 {
		return 100 * 365 * 24 * time.Hour
	}
	mean := float64(24*time.Hour) / f.o.changesPerDay / f.o.timeScale
	return time.Duration(rand.ExpFloat64() * mean)
}

func (f *fleet) schedule(e event) {
	f.mu.Lock()
	heap.Push(&f.events, e)
	f.mu.Unlock()
}

// dispatch hands due events to the workers; a worker reschedules its
// agent's next event of the kind.
func (f *fleet) dispatch(ctx context.Context) {
	defer f.wg.Done()
	defer close(f.work)
	for {
		f.mu.Lock()
		var due *event
		if len(f.events) > 0 && !f.events[0].at.After(time.Now()) {
			e := heap.Pop(&f.events).(event)
			due = &e
		}
		f.mu.Unlock()
		if due == nil {
			select {
			case <-f.stopCh:
				return
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		select {
		case f.work <- *due:
		case <-f.stopCh:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (f *fleet) handle(ctx context.Context, e event) {
	s := f.agents[e.agent]
	if s.id == "" { // its enrollment failed
		return
	}
	switch e.kind {
	case doHeartbeat:
		var ans agentv1.HeartbeatAnswer
		if _, _, err := f.c.do(ctx, "heartbeat", "POST", agentv1.PathHeartbeat, f.agentHeaders(s), nil, &ans); err == nil {
			s.mu.Lock()
			changed := ans.PolicyETag != "" && ans.PolicyETag != s.etag
			s.mu.Unlock()
			if changed {
				f.syncPolicy(ctx, s)
			}
		}
		jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(f.heartbeatEvery()))
		f.schedule(event{time.Now().Add(f.heartbeatEvery() + jitter), e.agent, doHeartbeat})
	case doFullReport:
		f.report(ctx, s)
		f.schedule(event{time.Now().Add(f.fullReportEvery()), e.agent, doFullReport})
	case doChange:
		s.mu.Lock()
		k := rand.IntN(len(s.exts))
		if s.exts[k].id != f.incidentID { // the incident extension changes only by the block
			s.exts[k].version = "2." + strconv.Itoa(rand.IntN(1000)) + ".0"
		}
		s.mu.Unlock()
		f.report(ctx, s)
		f.schedule(event{time.Now().Add(f.nextChange()), e.agent, doChange})
	}
}

// syncPolicy fetches the policy with the held ETag; a new one is enforced
// (blocked exact ids and publishers are uninstalled) and reported at once.
func (f *fleet) syncPolicy(ctx context.Context, s *simAgent) {
	h := f.agentHeaders(s)
	s.mu.Lock()
	h["If-None-Match"] = s.etag
	s.mu.Unlock()
	var p agentv1.Policy
	status, hdr, err := f.c.do(ctx, "policy", "GET", agentv1.PathPolicy, h, nil, &p)
	if err != nil || status != 200 {
		return
	}
	s.mu.Lock()
	s.etag = hdr.Get("ETag")
	removed := false
	for _, b := range p.Blocked {
		removed = s.uninstall(func(id string) bool {
			return (b.PatternType == agentv1.PatternExact && id == b.Pattern) ||
				(b.PatternType == agentv1.PatternPublisher && len(id) > len(b.Pattern) && id[:len(b.Pattern)+1] == b.Pattern+".")
		}) || removed
	}
	s.mu.Unlock()
	if removed {
		f.report(ctx, s)
	}
}

// uninstall removes the extensions match selects; the caller holds s.mu.
func (s *simAgent) uninstall(match func(id string) bool) bool {
	kept := s.exts[:0]
	removed := false
	for _, e := range s.exts {
		if match(e.id) {
			s.removed, removed = append(s.removed, e), true
			continue
		}
		kept = append(kept, e)
	}
	s.exts = kept
	return removed
}

// report sends the full inventory (and what was removed since the last
// report); an uninstall action in the verdict is carried out and reported.
func (f *fleet) report(ctx context.Context, s *simAgent) {
	s.mu.Lock()
	r := agentv1.Report{ReportedAt: time.Now().UTC(), PolicyETag: s.etag}
	for _, e := range s.exts {
		r.Extensions = append(r.Extensions, agentv1.ReportedExtension{ExtensionID: e.id, Installed: true, Version: e.version, Editor: "vscode"})
	}
	for _, e := range s.removed {
		r.Extensions = append(r.Extensions, agentv1.ReportedExtension{ExtensionID: e.id, Installed: false, Version: e.version, Editor: "vscode"})
	}
	removed := s.removed
	s.removed = nil
	s.mu.Unlock()
	var v agentv1.Verdict
	if _, _, err := f.c.do(ctx, "reports", "POST", agentv1.PathReports, f.agentHeaders(s), r, &v); err != nil {
		s.mu.Lock()
		s.removed = append(removed, s.removed...) // reported next time
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	again := false
	for _, a := range v.Actions {
		if a.Action == agentv1.ActionUninstall {
			again = s.uninstall(func(id string) bool { return id == a.ExtensionID }) || again
		}
	}
	s.mu.Unlock()
	if again {
		f.report(ctx, s)
	}
}
