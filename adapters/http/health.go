package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// ReadinessCheck is one dependency the readiness probe asks about.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

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

// ready answers 200 only when every dependency answers within two seconds;
// the body says which failed, never why in detail (no internal text leaks).
func (h *Health) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	results := fiber.Map{}
	ok := true
	for _, chk := range h.checks {
		if err := chk.Check(ctx); err != nil {
			results[chk.Name] = "failing"
			ok = false
			continue
		}
		results[chk.Name] = "ok"
	}
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"ready": ok, "checks": results})
}
