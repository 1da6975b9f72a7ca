package application

import "context"

type originKey struct{}

// Origin is where a request came from, for audit rows written by use cases
// whose signature has no actor (authentication happens before anyone is
// known). HTTP handlers attach it with WithOrigin.
type Origin struct {
	ClientIP  string
	UserAgent string
}

// WithOrigin returns ctx carrying o. The strings must not alias request
// buffers (fiber reuses them): copy them first.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin attached to ctx, or the zero Origin.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}
