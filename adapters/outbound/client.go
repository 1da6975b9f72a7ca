package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// Policy says which targets outbound connections may reach.
type Policy struct {
	// AllowPrivate lifts the guard entirely (EXTGUARD_OUTBOUND_ALLOW_PRIVATE),
	// for tests and labs whose receivers live on loopback or a private network.
	AllowPrivate bool
}

// Timeouts bound each phase of a request. Zero fields take the defaults of
// DefaultTimeouts, so a zero Timeouts is usable.
type Timeouts struct {
	Connect        time.Duration // TCP connect, per address tried
	TLSHandshake   time.Duration
	ResponseHeader time.Duration // from request written to response headers read
	Total          time.Duration // whole exchange, including reading the body
}

// DefaultTimeouts are generous enough for a slow receiver or CDN yet keep a
// stuck peer from holding a worker for long.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Connect:        5 * time.Second,
		TLSHandshake:   5 * time.Second,
		ResponseHeader: 10 * time.Second,
		Total:          30 * time.Second,
	}
}

// WithDefaults fills zero or negative fields from DefaultTimeouts.
func (t Timeouts) WithDefaults() Timeouts {
	d := DefaultTimeouts()
	pick := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	return Timeouts{
		Connect:        pick(t.Connect, d.Connect),
		TLSHandshake:   pick(t.TLSHandshake, d.TLSHandshake),
		ResponseHeader: pick(t.ResponseHeader, d.ResponseHeader),
		Total:          pick(t.Total, d.Total),
	}
}

// NewClient returns an HTTP client whose connections are checked against p at
// dial time. Redirects follow net/http's default policy; callers that must not
// follow them (webhooks) or must re-check them (downloads) set CheckRedirect.
// Every request (each redirect hop too) is a client span; the URL in it is cut
// to scheme and host by telemetry's span processor, since webhook paths and
// download queries may hold credentials.
func NewClient(p Policy, t Timeouts) *http.Client {
	t = t.WithDefaults()
	return &http.Client{Transport: otelhttp.NewTransport(NewTransport(p, t)), Timeout: t.Total}
}

// NewTransport returns the guarded transport used by NewClient.
func NewTransport(p Policy, t Timeouts) *http.Transport {
	t = t.WithDefaults()
	d := &net.Dialer{
		Timeout:        t.Connect,
		KeepAlive:      30 * time.Second,
		ControlContext: controlFor(p),
	}
	return &http.Transport{
		Proxy:                 nil, // a proxy would be the address the guard checks
		DialContext:           dialFor(p, d),
		ForceAttemptHTTP2:     true, // a custom DialContext disables HTTP/2 otherwise
		TLSHandshakeTimeout:   t.TLSHandshake,
		ResponseHeaderTimeout: t.ResponseHeader,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
	}
}

// controlFor runs after name resolution, once per address the dialer tries,
// so every IP a (possibly rebinding) DNS answer yields is checked.
func controlFor(p Policy) func(ctx context.Context, network, address string, c syscall.RawConn) error {
	return func(_ context.Context, network, address string, _ syscall.RawConn) error {
		if p.AllowPrivate {
			return nil
		}
		if network != "tcp4" && network != "tcp6" {
			return fmt.Errorf("outbound: refused %s connection", network)
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("outbound: unparsable dial address: %w", err)
		}
		return CheckIP(ap.Addr(), false)
	}
}

// dialFor refuses well-known metadata host names before resolving them. Their
// addresses are refused by the IP check anyway; this keeps a split-horizon or
// search-domain answer from turning them into something that looks public.
func dialFor(p Policy, d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !p.AllowPrivate {
			if err := checkHostName(addr); err != nil {
				return nil, err
			}
		}
		return d.DialContext(ctx, network, addr)
	}
}

var metadataHosts = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
	"metadata.tencentyun.com":    true,
}

func checkHostName(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("outbound: unparsable dial address: %w", err)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if metadataHosts[name] {
		return &BlockedAddressError{Host: name, Reason: "cloud metadata"}
	}
	return nil
}

// IsBlocked reports whether err (from a client built here) was caused by the
// SSRF guard.
func IsBlocked(err error) bool {
	var be *BlockedAddressError
	return errors.As(err, &be)
}
