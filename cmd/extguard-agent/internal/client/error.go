package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/extguard/extguard/protocol/agentv1"
)

// Error is a non-success answer from the server, parsed from its problem+json body when it has one.
type Error struct {
	Status     int
	Type       string
	Title      string
	Detail     string
	Fields     []agentv1.FieldError
	RetryAfter time.Duration // from Retry-After, when the server sent one
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server answered %d", e.Status)
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s %s", f.Field, f.Message)
	}
	return b.String()
}

// Rejected reports whether the server refuses this agent outright (401: the key is wrong, expired or
// revoked; 403: the key may not act for this agent, or the agent was decommissioned). Retrying cannot
// help until a person changes something, so the agent stops instead of hammering the server.
func (e *Error) Rejected() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Permanent reports whether sending the same request again would get the same answer (invalid or
// oversized body): a queued report that gets one is dropped rather than retried for ever.
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && !e.Rejected() &&
		e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// IsRejected reports whether err is a server answer that refuses this agent.
func IsRejected(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Rejected()
}

// IsPermanent reports whether err is a server answer that retrying the same request cannot change.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// RetryAfterOf returns how long the server asked the agent to wait, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// parseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
