package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// UseCases are what the handlers call.
type UseCases struct {
	DetectStale    application.DetectStaleAgents
	SweepRevalid   application.SweepRevalidation
	Revalidate     application.RevalidateCatalogEntry
	DeliverWebhook application.DeliverWebhook
	Retention      application.ApplyRetention
	FetchFeeds     application.FetchThreatFeeds
	// DeliveryOrigins (optional) links each delivery's span to the change
	// that wrote the delivery, across the outbox.
	DeliveryOrigins DeliveryOrigins
	ExpireGrants    application.ExpireGrants

	// RecordCompliance writes today's point of the overview's series.
	RecordCompliance application.RecordComplianceDay
}

// DeliveryOrigins finds the trace context stored with a delivery.
type DeliveryOrigins interface {
	// DeliveryOrigin returns the W3C traceparent of the change that wrote
	// the delivery, or "" when there is none.
	DeliveryOrigin(ctx context.Context, id domain.ID) (string, error)
}

// Handlers are the task handlers: decode, call the use case, map its error
// to asynq's retry decision.
type Handlers struct {
	uc  UseCases
	log *slog.Logger
}

// NewHandlers returns the handlers of every task type.
func NewHandlers(uc UseCases, log *slog.Logger) *Handlers { return &Handlers{uc: uc, log: log} }

// Mux routes each task type to its handler, inside a span continuing the
// trace carried in the task's headers.
func (h *Handlers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(traced)
	mux.HandleFunc(TypeStaleScan, h.staleScan)
	mux.HandleFunc(TypeRevalidationScan, h.revalidationSweep)
	mux.HandleFunc(TypeRevalidate, h.revalidate)
	mux.HandleFunc(TypeDeliverWebhook, h.deliver)
	mux.HandleFunc(TypeRetention, h.retention)
	mux.HandleFunc(TypeExpiryScan, h.expiryScan)
	mux.HandleFunc(TypeThreatFeedFetch, h.fetchFeeds)
	mux.HandleFunc(TypeComplianceDaily, h.complianceDaily)
	return mux
}

func (h *Handlers) staleScan(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	res, err := h.uc.DetectStale.Execute(ctx)
	if err != nil {
		return err
	}
	if res.Stale+res.Offline > 0 {
		h.log.InfoContext(ctx, "stale scan", "stale", res.Stale, "offline", res.Offline)
	}
	return nil
}

func (h *Handlers) retention(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	res, err := h.uc.Retention.Execute(ctx)
	if len(res.Created)+len(res.Dropped)+len(res.Pinned) > 0 || res.Deliveries > 0 || err != nil {
		h.log.InfoContext(ctx, "history retention", "created", res.Created, "dropped", len(res.Dropped),
			"rows", res.Rows, "deliveries", res.Deliveries, "pinned", len(res.Pinned), "error", err)
	}
	return err
}

// complianceDaily records today's point of the compliance series; the
// upsert makes a task that runs twice harmless.
func (h *Handlers) complianceDaily(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	_, err := h.uc.RecordCompliance.Execute(ctx)
	return err
}

// expiryScan ends what has expired; a missed period is caught up by the
// next, since what is due is read from PostgreSQL.
func (h *Handlers) expiryScan(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	ended, err := h.uc.ExpireGrants.Execute(ctx)
	if err != nil {
		return err
	}
	if len(ended) > 0 {
		h.log.InfoContext(ctx, "expiry scan", "ended", len(ended))
	}
	return nil
}

func (h *Handlers) revalidationSweep(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	n, err := h.uc.SweepRevalid.Execute(ctx)
	h.log.InfoContext(ctx, "revalidation sweep", "queued", n, "error", err)
	return err
}

func (h *Handlers) fetchFeeds(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	res, err := h.uc.FetchFeeds.Execute(ctx)
	if res.Fetched+res.NotModified+res.Failed > 0 || err != nil {
		h.log.InfoContext(ctx, "threat feeds fetched", "fetched", res.Fetched, "not_modified", res.NotModified,
			"failed", res.Failed, "error", err)
	}
	return err
}

func (h *Handlers) revalidate(ctx context.Context, t *asynq.Task) error {
	p, err := decode[revalidatePayload](t)
	if err != nil {
		return err
	}
	actor := audit.Actor{Type: p.ActorType, ID: p.ActorID}
	if actor.Type == "" {
		actor = audit.SystemActor()
	}
	outcome, err := h.uc.Revalidate.Execute(ctx, application.RevalidationRequest{EntryID: p.ExtensionID, RequestedBy: actor})
	if err != nil {
		h.log.WarnContext(ctx, "revalidation failed", "extension", p.ExtensionID.String(), "error", err)
		return retryUnlessPermanent(err)
	}
	h.log.InfoContext(ctx, "revalidated", "extension", p.ExtensionID.String(), "outcome", string(outcome))
	return nil
}

func (h *Handlers) deliver(ctx context.Context, t *asynq.Task) error {
	p, err := decode[deliverPayload](t)
	if err != nil {
		return err
	}
	h.linkOrigin(ctx, p.DeliveryID)
	status, err := h.uc.DeliverWebhook.Execute(ctx, p.DeliveryID)
	deliveryOutcomes.Add(ctx, 1, metric.WithAttributes(attribute.String("status", deliveryStatusLabel(status, err))))
	if err != nil {
		return err // the database failed: retry; the claim's lease prevents a double attempt
	}
	if status == application.DeliveryFailed {
		h.log.WarnContext(ctx, "webhook delivery failed for good", "delivery", p.DeliveryID.String())
	}
	return nil
}

// retryUnlessPermanent: invalid and not_found will not get better by retrying.
func retryUnlessPermanent(err error) error {
	switch domain.CodeOf(err) {
	case domain.CodeInvalid, domain.CodeNotFound, domain.CodeForbidden:
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// linkOrigin links the delivery's span to the span of the change that wrote
// the delivery (an admin request, a task): the outbox makes that hop
// asynchronous, so it is a link, not a parent. Without one the delivery is
// delivered all the same.
func (h *Handlers) linkOrigin(ctx context.Context, id domain.ID) {
	if h.uc.DeliveryOrigins == nil {
		return
	}
	tp, err := h.uc.DeliveryOrigins.DeliveryOrigin(ctx, id)
	if err != nil || tp == "" {
		return
	}
	origin := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(),
		propagation.MapCarrier{"traceparent": tp}))
	if origin.IsValid() {
		trace.SpanFromContext(ctx).AddLink(trace.Link{SpanContext: origin,
			Attributes: []attribute.KeyValue{attribute.String("extguard.link", "caused_by")}})
	}
}

var tracer = otel.Tracer("github.com/extguard/extguard/workers")

// traced runs each task inside a consumer span and records its duration and
// outcome. The span continues the trace in the task's headers when that one
// is sampled; tasks queued by the untraced polling loops (the relay, the
// scheduler) start a trace of their own instead of inheriting the loop's
// "do not record".
func traced(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		parent := otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(t.Headers()))
		var opts []trace.SpanStartOption
		if sc := trace.SpanContextFromContext(parent); sc.IsValid() && sc.IsSampled() {
			ctx = parent
		} else if sc.IsValid() {
			opts = append(opts, trace.WithNewRoot())
		}
		id, _ := asynq.GetTaskID(ctx)
		queue, _ := asynq.GetQueueName(ctx)
		opts = append(opts, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("messaging.system", "asynq"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.destination.name", queue),
				attribute.String("messaging.message.id", id)))
		ctx, span := tracer.Start(ctx, "task "+t.Type(), opts...)
		defer span.End()
		err := next.ProcessTask(ctx, t)
		outcome := "ok"
		if err != nil {
			outcome = "error"
			span.RecordError(err)
			span.SetStatus(codes.Error, "task failed")
		}
		taskDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(
			attribute.String("type", t.Type()), attribute.String("outcome", outcome)))
		return err
	})
}
