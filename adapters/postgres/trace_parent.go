package postgres

import (
	"context"
	"database/sql"
	"errors"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/extguard/extguard/domain"
)

// traceParent is the W3C traceparent of ctx's span, stored with each outbox
// row so the delivery's span can link to the change that caused it; nil
// (SQL NULL) when ctx carries no span. Only ids and flags: no baggage.
func traceParent(ctx context.Context) any {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	if v := c["traceparent"]; v != "" {
		return v
	}
	return nil
}

// DeliveryOrigin returns the traceparent stored with a delivery ("" when it
// was written outside a trace or no longer exists). The worker links the
// delivery's span to it.
func (d *Deliveries) DeliveryOrigin(ctx context.Context, id domain.ID) (string, error) {
	var tp sql.NullString
	err := d.db.NewRaw(`SELECT trace_parent FROM webhook_deliveries WHERE id = ?`, uid(id)).Scan(ctx, &tp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return tp.String, err
}
