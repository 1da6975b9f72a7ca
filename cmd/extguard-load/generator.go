package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/extguard/extguard/domain"
)

// client is a fasthttp client for one server: cheap enough per request
// that the generator, sharing the machine with the server, does not
// decide the figures.
type client struct{ hc *fasthttp.HostClient }

func newClient(addr string, conns int) *client {
	// A request waiting for a free connection waits (and its latency shows
	// it) rather than failing on the client side.
	return &client{hc: &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, MaxIdleConnDuration: time.Minute, MaxConnWaitTimeout: 30 * time.Second}}
}

// request is one prepared request.
type request struct {
	method, path, key, agent, ifNoneMatch string
	body                                  []byte
}

func (c *client) send(r request) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(r.method)
	req.SetRequestURI("http://" + c.hc.Addr + r.path)
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	if r.agent != "" {
		req.Header.Set("X-Agent-ID", r.agent)
	}
	if r.ifNoneMatch != "" {
		req.Header.Set("If-None-Match", r.ifNoneMatch)
	}
	if r.body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(r.body)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

func (c *client) do(method, path, key, agent, inm string, body []byte) (int, []byte, error) {
	return c.send(request{method: method, path: path, key: key, agent: agent, ifNoneMatch: inm, body: body})
}

func jsonField(body []byte, name string) string {
	var m map[string]any
	_ = gojson.Unmarshal(body, &m)
	s, _ := m[name].(string)
	return s
}

func parseID(s string) (domain.ID, error) { return domain.ParseID(s) }

// saturation is a closed-loop run: conns workers send back to back for d.
type saturation struct {
	requests, errors int64
	elapsed          time.Duration
	firstError       string
}

func (s saturation) perSecond() float64 { return float64(s.requests) / s.elapsed.Seconds() }

// add accumulates another slice of the same closed loop.
func (s *saturation) add(o saturation) {
	s.requests += o.requests
	s.errors += o.errors
	s.elapsed += o.elapsed
	if s.firstError == "" {
		s.firstError = o.firstError
	}
}

// saturate runs next(worker, i) requests from conns workers for d; want is
// the status that counts as success.
func saturate(c *client, conns int, d time.Duration, want int, next func(worker, i int) request) saturation {
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status, body, err := c.send(next(w, i))
				if err != nil || status != want {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s %v", status, truncate(body), err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	s := saturation{requests: ok.Load(), errors: bad.Load(), elapsed: time.Since(start)}
	if e, _ := firstErr.Load().(string); e != "" {
		s.firstError = e
	}
	return s
}

// labelled runs a loop whose generator goroutines carry the profiler label
// loop=name, so a profile splits the generator's CPU by loop.
func labelled(name string, loop func() saturation) (s saturation) {
	pprof.Do(context.Background(), pprof.Labels("loop", name), func(context.Context) { s = loop() })
	return s
}

// each sends next(0..total-1) once, from conns workers.
func each(c *client, conns, total, want int, next func(i int) request) saturation {
	var seq, ok, bad atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(seq.Add(1)) - 1; i < total; i = int(seq.Add(1)) - 1 {
				status, body, err := c.send(next(i))
				if err != nil || status != want {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s %v", status, truncate(body), err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	s := saturation{requests: ok.Load(), errors: bad.Load(), elapsed: time.Since(start)}
	s.firstError, _ = firstErr.Load().(string)
	return s
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(bytes.TrimSpace(b))
}

// fixedRate is an open-loop run: a request starts every 1/rate s on
// schedule, whether or not earlier ones have answered, and its latency
// counts from its scheduled start (so a stalled server cannot hide its
// queue, i.e. no coordinated omission).
type fixedRate struct {
	sent, errors   int64
	p50, p99, max  time.Duration
	statuses       map[int]int64
	achievedPerSec float64
	firstError     string
}

// timeline, when not nil, receives every request's latency in schedule
// order before they are sorted.
func runFixedRate(ctx context.Context, c *client, rate int, d time.Duration, next func(i int) request,
	timeline func(start time.Time, latencies []time.Duration)) fixedRate {
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	latencies := make([]time.Duration, total)
	statuses := make([]int, total)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, err := c.send(next(i))
			latencies[i] = time.Since(due)
			if err != nil {
				status = -1
			}
			statuses[i] = status
			if status != 200 {
				firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s %v", status, truncate(body), err))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	out := fixedRate{sent: int64(total), statuses: map[int]int64{}}
	for _, s := range statuses {
		out.statuses[s]++
		if s != 200 {
			out.errors++
		}
	}
	if timeline != nil {
		timeline(start, latencies)
	}
	out.p50, out.p99, out.max = percentiles(latencies)
	out.achievedPerSec = float64(total) / elapsed.Seconds()
	if e, _ := firstErr.Load().(string); e != "" {
		out.firstError = e
	}
	return out
}

// percentiles sorts latencies and returns their median, 99th percentile
// and maximum (zero for none).
func percentiles(latencies []time.Duration) (p50, p99, maximum time.Duration) {
	n := len(latencies)
	if n == 0 {
		return 0, 0, 0
	}
	slices.Sort(latencies)
	return latencies[n/2], latencies[n*99/100], latencies[n-1]
}
