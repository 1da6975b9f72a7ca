package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/extguard/extguard/adapters/outbound"
)

// DefaultUserAgent identifies extguard to receivers.
const DefaultUserAgent = "extguard-webhooks/1"

const (
	snippetBytes = 1024
	// drainBytes is how much of a response is read past the snippet so the
	// connection can be reused; a larger body is abandoned instead.
	drainBytes = 64 << 10
)

// Outcome is what a delivery attempt means for the message and the endpoint.
type Outcome string

const (
	// Delivered: the receiver answered 2xx.
	Delivered Outcome = "delivered"
	// Retry: try again later (network error, refused address, 3xx, 4xx but
	// 410, 5xx, 429).
	Retry Outcome = "retry"
	// Gone: the receiver answered 410; the spec asks senders to disable the endpoint.
	Gone Outcome = "gone"
)

// ErrUnexpectedStatus wraps a non-2xx answer in Result.Err.
var ErrUnexpectedStatus = errors.New("webhook: receiver answered non-2xx")

// Delivery is one attempt to deliver one message to one endpoint.
type Delivery struct {
	URL string
	// MessageID goes into webhook-id and must stay the same across retries so
	// receivers can de-duplicate (the audit event id).
	MessageID string
	// Secrets sign the message; two during a secret rotation.
	Secrets []string
	Body    []byte
	// Timestamp is the attempt time (zero: now), not the event time:
	// receivers refuse timestamps older than a few minutes.
	Timestamp time.Time
}

// Result records an attempt, for the deliveries log and the retry decision.
type Result struct {
	StatusCode      int
	Duration        time.Duration
	Err             error
	ResponseSnippet string // first 1 KiB of the answer, valid UTF-8, no control characters
	Outcome         Outcome
}

// Sender signs and posts webhook messages.
type Sender struct {
	client    *http.Client
	userAgent string
}

// NewSender wraps client (normally outbound.NewClient) so that redirects are
// never followed: a receiver could otherwise bounce the signed request to a
// target the admin never configured.
func NewSender(client *http.Client, userAgent string) *Sender {
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	return &Sender{client: &c, userAgent: userAgent}
}

// Deliver makes one attempt. It never returns without an Outcome; an invalid
// URL or secret yields Retry with Err set, so the endpoint is eventually
// disabled like any other that keeps failing.
func (s *Sender) Deliver(ctx context.Context, d Delivery) Result {
	start := time.Now()
	req, err := s.newRequest(ctx, d)
	if err != nil {
		return Result{Err: err, Outcome: Retry, Duration: time.Since(start)}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: stripURL(err), Outcome: Retry, Duration: time.Since(start)}
	}
	defer resp.Body.Close()
	snippet := readSnippet(resp.Body)
	res := Result{
		StatusCode:      resp.StatusCode,
		Duration:        time.Since(start),
		ResponseSnippet: snippet,
		Outcome:         classify(resp.StatusCode),
	}
	if res.Outcome != Delivered {
		res.Err = fmt.Errorf("%w: %d", ErrUnexpectedStatus, resp.StatusCode)
	}
	return res
}

func (s *Sender) newRequest(ctx context.Context, d Delivery) (*http.Request, error) {
	u, err := outbound.ValidateURL(d.URL, false)
	if err != nil {
		return nil, err
	}
	ts := d.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	sig, err := Sign(d.Secrets, d.MessageID, ts, d.Body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Body))
	if err != nil {
		return nil, stripURL(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set(HeaderID, d.MessageID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	return req, nil
}

func classify(code int) Outcome {
	switch {
	case code >= 200 && code < 300:
		return Delivered
	case code == http.StatusGone:
		return Gone
	default:
		return Retry
	}
}

// stripURL drops the URL net/http puts in its errors: webhook URLs often carry
// a token in their path or query, and Result.Err is stored and shown.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("webhook: %s: %w", ue.Op, ue.Err)
	}
	return err
}

// readSnippet keeps the start of the answer for the deliveries log; it is
// receiver-controlled, so it is bounded and stripped of control characters.
func readSnippet(body io.Reader) string {
	buf, _ := io.ReadAll(io.LimitReader(body, snippetBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainBytes))
	return sanitize(string(buf))
}

func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
