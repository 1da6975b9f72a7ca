// Package client calls the agent API of an extguard server in agent protocol v1, whose wire types
// are package agentv1's: it adds what an agent needs around them (bounded answers, short 429s
// waited out, refusals told apart from failures worth retrying).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/extguard/extguard/protocol/agentv1"
)

const (
	// maxAnswerBytes bounds what the agent reads from the server: a policy is kilobytes; a bigger
	// answer is a misconfigured proxy, not something to hold in memory on a developer's laptop.
	maxAnswerBytes = 8 << 20
	// maxAttempts bounds the 429 retries of one call, so a server under load sees the agent back off.
	maxAttempts = 3
)

// Config configures a Client.
type Config struct {
	Server  string // base URL, e.g. https://extguard.example.com
	Key     string // an API key of the agent's group with scope agent
	Version string // the agent's version, sent as User-Agent extguard-agent/<version>
	// HTTPClient defaults to one with a 30 s timeout per request.
	HTTPClient *http.Client
	// MaxRetryAfter is the longest Retry-After the client waits out itself before retrying a 429;
	// longer ones are returned to the caller in the Error. Default 1 minute.
	MaxRetryAfter time.Duration
}

// Client calls the agent API. It is not safe for concurrent use: the agent makes one call at a time.
type Client struct {
	base          *url.URL
	key           string
	agentID       string
	userAgent     string
	http          *http.Client
	maxRetryAfter time.Duration
}

// New checks cfg and returns a client without an agent id (set it with SetAgentID after enrolling).
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.Server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q is not an http(s) URL", cfg.Server)
	}
	if strings.TrimSpace(cfg.Key) == "" {
		return nil, errors.New("no API key")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{
		base:          u,
		key:           strings.TrimSpace(cfg.Key),
		userAgent:     "extguard-agent/" + cfg.Version,
		http:          cfg.HTTPClient,
		maxRetryAfter: cfg.MaxRetryAfter,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.maxRetryAfter == 0 {
		c.maxRetryAfter = time.Minute
	}
	return c, nil
}

// SetAgentID makes every later request carry X-Agent-ID.
func (c *Client) SetAgentID(id string) { c.agentID = id }

// Enroll registers this machine (or updates its enrollment: same machine, same agent id).
func (c *Client) Enroll(ctx context.Context, req agentv1.EnrollRequest) (agentv1.Enrollment, error) {
	var out agentv1.Enrollment
	_, err := c.call(ctx, http.MethodPost, agentv1.PathEnroll, req, nil, &out)
	return out, err
}

// Heartbeat tells the server the agent is alive and learns the current policy ETag.
func (c *Client) Heartbeat(ctx context.Context, req agentv1.HeartbeatRequest) (agentv1.HeartbeatAnswer, error) {
	var out agentv1.HeartbeatAnswer
	_, err := c.call(ctx, http.MethodPost, agentv1.PathHeartbeat, req, nil, &out)
	return out, err
}

// Policy fetches the group's policy. With a non-empty etag it is sent as If-None-Match, and
// unchanged is true (with a zero Policy) when the server answers 304.
func (c *Client) Policy(ctx context.Context, etag string) (p agentv1.Policy, unchanged bool, err error) {
	hdr := http.Header{}
	if etag != "" {
		hdr.Set("If-None-Match", etag)
	}
	resp, err := c.call(ctx, http.MethodGet, agentv1.PathPolicy, nil, hdr, &p)
	if err != nil {
		return agentv1.Policy{}, false, err
	}
	if resp.StatusCode == http.StatusNotModified {
		return agentv1.Policy{}, true, nil
	}
	if p.ETag == "" {
		p.ETag = resp.Header.Get("ETag")
	}
	return p, false, nil
}

// Report sends the full inventory and returns the server's verdict.
func (c *Client) Report(ctx context.Context, r agentv1.Report) (agentv1.Verdict, error) {
	var out agentv1.Verdict
	_, err := c.call(ctx, http.MethodPost, agentv1.PathReports, r, nil, &out)
	return out, err
}

// call sends one request, waiting out short 429s, and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, endpoint string, body any, hdr http.Header, out any) (*http.Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s: %w", endpoint, err)
		}
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.send(ctx, method, endpoint, payload, hdr, out)
		wait := RetryAfterOf(err)
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests ||
			attempt == maxAttempts || wait > c.maxRetryAfter {
			return resp, err
		}
		if err := sleep(ctx, max(wait, time.Second)); err != nil {
			return nil, err
		}
	}
}

func (c *Client) send(ctx context.Context, method, endpoint string, payload []byte, hdr http.Header, out any) (*http.Response, error) {
	u := *c.base
	u.Path += endpoint
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.agentID != "" {
		req.Header.Set(agentv1.HeaderAgentID, c.agentID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: reading answer: %w", endpoint, err)
	case len(b) > maxAnswerBytes:
		return nil, fmt.Errorf("%s: answer larger than %d bytes", endpoint, maxAnswerBytes)
	case resp.StatusCode == http.StatusNotModified:
		return resp, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return resp, parseError(resp, b)
	case out != nil && len(bytes.TrimSpace(b)) > 0:
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s: decoding answer: %w", endpoint, err)
		}
	}
	return resp, nil
}

func parseError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p agentv1.Problem
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(body, &p) == nil {
		e.Type, e.Title, e.Detail, e.Fields = p.Type, p.Title, p.Detail, p.Errors
	}
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	return e
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
