package telemetry

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

const instrumentationName = "github.com/extguard/extguard"

// UseCaseSpans opens one internal span per use case, named after it. Only the
// error's code reaches the span, never its text: messages of internal errors
// may quote what a caller sent.
type UseCaseSpans struct{ tracer trace.Tracer }

var _ application.UseCaseObserver = UseCaseSpans{}

// NewUseCaseSpans uses the global tracer provider (resolved at each span, so
// installing it before Setup is fine).
func NewUseCaseSpans() UseCaseSpans {
	return UseCaseSpans{tracer: otel.Tracer(instrumentationName + "/application")}
}

// Start: see application.UseCaseObserver.
// Under a parent that is not recorded (sampled out) no span is opened: it
// would not be recorded either, and the hot agent requests run two or three
// use cases each.
func (u UseCaseSpans) Start(ctx context.Context, useCase string) (context.Context, func(error)) {
	if parent := trace.SpanFromContext(ctx); parent.SpanContext().IsValid() && !parent.IsRecording() {
		return ctx, endNothing
	}
	ctx, span := u.tracer.Start(ctx, useCase, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, func(err error) {
		if err != nil {
			code := domain.CodeOf(err)
			span.SetAttributes(attribute.String("extguard.error.code", string(code)))
			if isServerFault(code) {
				span.SetStatus(codes.Error, string(code))
			}
		}
		span.End()
	}
}

// isServerFault: a refused or invalid request is the use case working; only
// these codes mean something went wrong on our side.
func isServerFault(c domain.Code) bool {
	return c == domain.CodeInternal || c == domain.CodeUnavailable
}

func endNothing(error) {}
