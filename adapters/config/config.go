// Package config reads extguard's configuration from the environment. Every
// variable has a default that works on a developer machine; a bad value stops
// startup with a message that names the variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole server configuration.
type Config struct {
	DatabaseURL string
	RedisURL    string
	HTTPAddr    string
	// MetricsAddr, when set, serves /metrics on a listener of its own (the
	// worker process has no HTTP API); empty: none.
	MetricsAddr string
	// Pprof adds Go's profiler (/debug/pprof/) to the MetricsAddr listener,
	// never to the API's: where the CPU goes in a fleet run, in production.
	Pprof         bool
	AdminEmail    string
	AdminPassword string

	TrustedProxies       []netip.Prefix
	OutboundAllowPrivate bool
	MarketplaceHosts     []string
	StaleScanInterval    time.Duration
	RevalidateInterval   time.Duration
	ExpiryScanInterval   time.Duration // how often expired exceptions and time-limited assignments end
	HeartbeatFlushPeriod time.Duration
	SessionTTL           time.Duration
	// Retention of the history tables (0 keeps forever); see
	// docs/history-and-retention.md.
	ReportRetention   time.Duration
	AuditRetention    time.Duration
	DeliveryRetention time.Duration
	LogLevel          string
	LogFormat         string
	ServiceInstanceID string
}

// DefaultMarketplaceHosts are the hosts VSIX packages may come from.
const DefaultMarketplaceHosts = "marketplace.visualstudio.com,*.gallery.vsassets.io,*.gallerycdn.vsassets.io,open-vsx.org"

// Load reads the configuration through getenv (os.Getenv in production).
// It reports every bad variable at once.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	cfg := Config{
		DatabaseURL:          r.url("EXTGUARD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/extguard?sslmode=disable", "postgres", "postgresql"),
		RedisURL:             r.url("EXTGUARD_REDIS_URL", "redis://127.0.0.1:6379/0", "redis", "rediss"),
		HTTPAddr:             r.listenAddr("EXTGUARD_HTTP_ADDR", ":8080"),
		MetricsAddr:          r.listenAddr("EXTGUARD_METRICS_ADDR", ""),
		Pprof:                r.boolean("EXTGUARD_PPROF", false),
		AdminEmail:           r.str("EXTGUARD_ADMIN_EMAIL", ""),
		AdminPassword:        r.str("EXTGUARD_ADMIN_PASSWORD", ""),
		TrustedProxies:       r.prefixes("EXTGUARD_TRUSTED_PROXIES"),
		OutboundAllowPrivate: r.boolean("EXTGUARD_OUTBOUND_ALLOW_PRIVATE", false),
		MarketplaceHosts:     r.list("EXTGUARD_MARKETPLACE_HOSTS", DefaultMarketplaceHosts),
		StaleScanInterval:    r.duration("EXTGUARD_STALE_SCAN_INTERVAL", time.Minute, time.Second),
		RevalidateInterval:   r.duration("EXTGUARD_REVALIDATE_INTERVAL", 24*time.Hour, time.Minute),
		ExpiryScanInterval:   r.duration("EXTGUARD_EXPIRY_SCAN_INTERVAL", 30*time.Second, time.Second),
		HeartbeatFlushPeriod: r.duration("EXTGUARD_HEARTBEAT_FLUSH_INTERVAL", 2*time.Second, 100*time.Millisecond),
		SessionTTL:           r.duration("EXTGUARD_SESSION_TTL", 12*time.Hour, time.Minute),
		ReportRetention:      r.retention("EXTGUARD_REPORT_RETENTION", DefaultReportRetention),
		AuditRetention:       r.retention("EXTGUARD_AUDIT_RETENTION", DefaultAuditRetention),
		DeliveryRetention:    r.retention("EXTGUARD_DELIVERY_RETENTION", DefaultDeliveryRetention),
		LogLevel:             r.oneOf("EXTGUARD_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		LogFormat:            r.oneOf("EXTGUARD_LOG_FORMAT", "json", "json", "text"),
		ServiceInstanceID:    r.str("EXTGUARD_INSTANCE_ID", ""),
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		r.fail("EXTGUARD_ADMIN_EMAIL", "EXTGUARD_ADMIN_EMAIL and EXTGUARD_ADMIN_PASSWORD must be set together")
	}
	if cfg.Pprof && cfg.MetricsAddr == "" {
		r.fail("EXTGUARD_PPROF", "the profiler is served on the EXTGUARD_METRICS_ADDR listener only: set that too (an internal address)")
	}
	if len(r.errs) > 0 {
		return Config{}, errors.Join(r.errs...)
	}
	return cfg, nil
}

type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) url(name, def string, schemes ...string) string {
	v := r.str(name, def)
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		r.fail(name, "not a URL: want %s://host/...", schemes[0])
		return v
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return v
		}
	}
	r.fail(name, "scheme %q not supported: want %s", u.Scheme, strings.Join(schemes, " or "))
	return v
}

// listenAddr is a host:port to listen on, checked here so that a typo stops
// startup with the variable's name rather than failing later in a listener.
// The host may be empty (every interface), an IP or a name; it is not resolved.
func (r *reader) listenAddr(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return v
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		r.fail(name, "%q is not host:port, e.g. :8080 or 127.0.0.1:8080", v)
		return v
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		r.fail(name, "%q: the port must be a number from 0 to 65535", v)
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not a boolean (true or false)", v)
	}
	return b
}

func (r *reader) duration(name string, def, min time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "%q is not a duration such as 30s, 5m or 24h", v)
		return def
	}
	if d < min {
		r.fail(name, "%s is below the minimum of %s", d, min)
	}
	return d
}

// Default retentions: a year and a month of inventory history (a yearly
// audit and the incident that led to it), two years of audit log (common
// compliance regimes ask for one), 30 days of finished webhook deliveries
// (the SIEM has the events; the deliveries only show that it got them).
const (
	DefaultReportRetention   = 400 * 24 * time.Hour
	DefaultAuditRetention    = 730 * 24 * time.Hour
	DefaultDeliveryRetention = 30 * 24 * time.Hour
)

// retention reads a retention: a Go duration or a number of days ("400d");
// 0 keeps forever; anything else below a day is refused as a likely typo
// ("90m" for "90d").
func (r *reader) retention(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		return def
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			r.fail(name, "%q is not a number of days such as 400d", v)
			return def
		}
		return time.Duration(n) * 24 * time.Hour
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "%q is not a retention such as 400d or 9600h (0 keeps forever)", v)
		return def
	}
	if d != 0 && d < 24*time.Hour {
		r.fail(name, "%s is below a day; use 0 to keep forever", d)
	}
	return d
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

func (r *reader) list(name, def string) []string {
	var out []string
	for _, p := range strings.Split(r.str(name, def), ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range r.list(name, "") {
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
		}
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			r.fail(name, "%q is not an IP address or CIDR", p)
			continue
		}
		out = append(out, pf.Masked())
	}
	return out
}
