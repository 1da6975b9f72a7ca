package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// client sends the fleet's requests and records, per endpoint, every
// latency and every failed answer.
type client struct {
	base string
	http *http.Client

	mu       sync.Mutex
	latency  map[string][]time.Duration
	statuses map[string]map[string]int // endpoint -> status or error -> count
}

func newClient(base string, conns int) *client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = conns, conns, conns
	return &client{base: base, http: &http.Client{Transport: t, Timeout: 30 * time.Second},
		latency: map[string][]time.Duration{}, statuses: map[string]map[string]int{}}
}

// do sends one request; out (optional) receives a JSON body. It answers
// the status (0 for a transport error) and the response headers.
func (c *client) do(ctx context.Context, endpoint, method, path string, headers map[string]string, in, out any) (int, http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.record(endpoint, time.Since(start), "error")
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	c.record(endpoint, time.Since(start), strconv.Itoa(resp.StatusCode))
	if err != nil {
		return resp.StatusCode, resp.Header, err
	}
	if resp.StatusCode >= 400 {
		return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil && len(raw) > 0 {
		err = json.Unmarshal(raw, out)
	}
	return resp.StatusCode, resp.Header, err
}

func (c *client) record(endpoint string, d time.Duration, status string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latency[endpoint] = append(c.latency[endpoint], d)
	if c.statuses[endpoint] == nil {
		c.statuses[endpoint] = map[string]int{}
	}
	c.statuses[endpoint][status]++
}

func (c *client) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latency, c.statuses = map[string][]time.Duration{}, map[string]map[string]int{}
}

// errors counts the answers of endpoint that are neither 2xx nor 304.
func (c *client) errors(endpoint string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for status, count := range c.statuses[endpoint] {
		if code, err := strconv.Atoi(status); err != nil || (code >= 400 || code < 200) {
			n += count
		}
	}
	return n
}

type endpointFigures struct {
	name          string
	n, errs       int
	p50, p99, max time.Duration
	statuses      map[string]int
}

func (c *client) figures() []endpointFigures {
	c.mu.Lock()
	names := make([]string, 0, len(c.latency))
	for name := range c.latency {
		names = append(names, name)
	}
	c.mu.Unlock()
	sort.Strings(names)
	var out []endpointFigures
	for _, name := range names {
		c.mu.Lock()
		d := append([]time.Duration(nil), c.latency[name]...)
		statuses := c.statuses[name]
		c.mu.Unlock()
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		pct := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))] }
		out = append(out, endpointFigures{name: name, n: len(d), errs: c.errors(name), p50: pct(0.5), p99: pct(0.99), max: d[len(d)-1], statuses: statuses})
	}
	return out
}
