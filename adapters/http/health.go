package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/extguard/extguard/adapters/telemetry"
)

// ReadinessCheck is one dependency the readiness probe asks about.
type ReadinessCheck = telemetry.ReadinessCheck

// Health serves /healthz, /readyz and /metrics.
type Health struct {
	checks  []ReadinessCheck
	metrics prometheus.Gatherer
}

// NewHealth builds the health module from its checks and what /metrics serves.
func NewHealth(metrics prometheus.Gatherer, checks ...ReadinessCheck) *Health {
	return &Health{checks: checks, metrics: metrics}
}

// Register adds the routes.
func (h *Health) Register(app *fiber.App) {
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", h.ready)
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(h.metrics, promhttp.HandlerOpts{}))
	app.Get("/metrics", func(c *fiber.Ctx) error {
		metrics(c.Context())
		return nil
	})
}

// ready answers 200 when every required dependency answers within two
// seconds; the body says which failed, never why in detail (no internal
// text leaks). Optional ones (Redis for the API) are reported only.
func (h *Health) ready(c *fiber.Ctx) error {
	ok, results := telemetry.Ready(c.UserContext(), h.checks)
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"ready": ok, "checks": results})
}
