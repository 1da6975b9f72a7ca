package telemetry

import (
	"context"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// redactingProcessor hands ended spans to next with every URL attribute cut
// down to scheme and host. Outbound requests go to webhook receivers whose
// path is often the secret (chat services' incoming webhooks) and to download
// URLs whose query may be a signature; otelhttp strips only user:password,
// and sets the URL after the span started, so it is redacted on the way out,
// before any exporter (or test recorder) sees it.
type redactingProcessor struct{ next sdktrace.SpanProcessor }

var _ sdktrace.SpanProcessor = redactingProcessor{}

// urlKeys hold a whole URL (current and older semantic conventions);
// urlPartKeys hold its secret-prone parts.
var (
	urlKeys     = map[attribute.Key]bool{"url.full": true, "http.url": true}
	urlPartKeys = map[attribute.Key]bool{"url.query": true, "url.path": true, "http.target": true}
)

func (p redactingProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	p.next.OnStart(ctx, s)
}
func (p redactingProcessor) Shutdown(ctx context.Context) error   { return p.next.Shutdown(ctx) }
func (p redactingProcessor) ForceFlush(ctx context.Context) error { return p.next.ForceFlush(ctx) }

func (p redactingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	attrs := s.Attributes()
	for i, kv := range attrs {
		if !urlKeys[kv.Key] && !urlPartKeys[kv.Key] {
			continue
		}
		// Copy on the first hit only: most spans carry no URL.
		out := append([]attribute.KeyValue(nil), attrs...)
		for j := i; j < len(out); j++ {
			switch {
			case urlKeys[out[j].Key]:
				out[j] = out[j].Key.String(RedactURL(out[j].Value.AsString()))
			case urlPartKeys[out[j].Key]:
				out[j] = out[j].Key.String("REDACTED")
			}
		}
		p.next.OnEnd(redactedSpan{ReadOnlySpan: s, attrs: out})
		return
	}
	p.next.OnEnd(s)
}

// redactedSpan is s with other attributes.
type redactedSpan struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

func (r redactedSpan) Attributes() []attribute.KeyValue { return r.attrs }

// RedactURL keeps a URL's scheme and host (with port): where a request went,
// never what it carried.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "REDACTED"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
}
