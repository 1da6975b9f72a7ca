package workers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
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
	Revalidate     application.RevalidateExtension
	DeliverWebhook application.DeliverWebhook
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

func (h *Handlers) revalidationSweep(ctx context.Context, t *asynq.Task) error {
	if _, err := decode[periodicPayload](t); err != nil {
		return err
	}
	n, err := h.uc.SweepRevalid.Execute(ctx)
	h.log.InfoContext(ctx, "revalidation sweep", "queued", n, "error", err)
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
	outcome, err := h.uc.Revalidate.Execute(ctx, application.RevalidationRequest{ExtensionID: p.ExtensionID, RequestedBy: actor})
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
	status, err := h.uc.DeliverWebhook.Execute(ctx, p.DeliveryID)
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

var tracer = otel.Tracer("github.com/extguard/extguard/workers")

func traced(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(t.Headers()))
		id, _ := asynq.GetTaskID(ctx)
		ctx, span := tracer.Start(ctx, "task "+t.Type(), trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("messaging.system", "asynq"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.message.id", id)))
		defer span.End()
		err := next.ProcessTask(ctx, t)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "task failed")
		}
		return err
	})
}
