// Package httpapi is the fiber adapter: the app and its middleware, the agent
// and admin routes, the one mapping of errors to problem+json, and the
// OpenAPI document.
package httpapi

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"
)

// MaxBodyBytes is the body limit of the agent contract (1 MiB).
const MaxBodyBytes = 1 << 20

// ServerConfig is what the app needs from the process configuration.
type ServerConfig struct {
	TrustedProxies []netip.Prefix
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	// SpansRecorded says whether the tracer provider can record a span at
	// all (telemetry.Telemetry.SpansRecorded). When it cannot, only requests
	// that carry a trace context get a server span: it passes the caller's
	// trace on. For the others a span would be ids no one ever sees (logs
	// leave out unsampled ids), at a cost of about a twentieth of a
	// heartbeat.
	SpansRecorded bool
}

// DefaultServerConfig has the timeouts we run with, and traces every request.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		SpansRecorded: true}
}

// Module registers a set of routes; the agent API, the admin API and the
// health endpoints are modules.
type Module interface {
	Register(app *fiber.App)
}

// The JSON codec of the app; handlers that encode or decode themselves use
// these too rather than c.App().Config(), which copies the whole config.
var (
	jsonEncode = gojson.Marshal
	jsonDecode = gojson.Unmarshal
)

// NewApp builds the fiber app with the middleware every route needs. The JSON
// codec is goccy/go-json: encoding/json decoded agent reports at about a third
// of its speed and was the first ceiling of the report endpoint.
func NewApp(cfg ServerConfig, log *slog.Logger, modules ...Module) *fiber.App {
	proxies := make([]string, 0, len(cfg.TrustedProxies))
	for _, p := range cfg.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	app := fiber.New(fiber.Config{
		AppName:               "extguard",
		BodyLimit:             MaxBodyBytes,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		JSONEncoder:           jsonEncode,
		JSONDecoder:           jsonDecode,
		ErrorHandler:          ErrorHandler(log),
		DisableStartupMessage: true,
		// Only X-Forwarded-Proto and -Host are fiber's to believe, and only
		// from a trusted proxy; the client's address is clientIP's (the
		// right-most untrusted hop). The check is on even with no proxy:
		// off, fiber believes those headers from every client (the
		// console's Secure cookie and Origin check read them).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          proxies,
	})
	quietParseErrors(app)
	// Instrument wraps recover so a panicking request still ends its span,
	// counts as a 500 and writes its log line.
	app.Use(Instrument(log, cfg.SpansRecorded))
	if len(cfg.TrustedProxies) > 0 {
		app.Use(withTrustedProxies(&trustedProxies{prefixes: cfg.TrustedProxies}))
	}
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		log.ErrorContext(c.UserContext(), "panic in handler", "route", c.Route().Path, "panic", e)
	}}))
	for _, m := range modules {
		m.Register(app)
	}
	app.Use(noRoute(newAllowIndex(app)))
	return app
}

// quietParseErrors keeps fasthttp's parse errors out of the answer: their
// text quotes the request's raw head and body (Authorization, passwords,
// headers a proxy added), and fiber sends that text as the 400's detail.
// Fiber's own mapping (431, 408, 413, ...) still sees the wrapped error.
func quietParseErrors(app *fiber.App) {
	inner := app.Server().ErrorHandler
	app.Server().ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if !strings.Contains(err.Error(), "timeout") {
			err = unparsableRequest{err}
		}
		inner(ctx, err)
	}
}

// unparsableRequest is a parse error with a message that quotes nothing.
type unparsableRequest struct{ err error }

func (e unparsableRequest) Error() string {
	return "the request is not valid HTTP (a header holds a character HTTP does not allow, or the head is malformed)"
}

func (e unparsableRequest) Unwrap() error { return e.err }
