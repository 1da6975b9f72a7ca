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

// OriginSource yields the request's origin when a use case asks for it.
// Most agent requests never do (only audit rows and reports need it), so
// the HTTP adapter defers reading and copying the address and user agent
// until then. Origin is called while the request is being served, never
// after, and returns strings that do not alias request buffers.
type OriginSource interface {
	Origin() Origin
}

// OriginKey is the key OriginFrom asks a context's Value for. A request
// context of an adapter's own type may answer it itself, with its
// OriginSource, rather than be wrapped by WithOrigin: that wrapping was an
// allocation on every agent request.
func OriginKey() any { return originKey{} }

// WithOrigin returns ctx carrying the request's origin source.
func WithOrigin(ctx context.Context, src OriginSource) context.Context {
	return context.WithValue(ctx, originKey{}, src)
}

// OriginFrom returns the origin of ctx's request, or the zero Origin.
func OriginFrom(ctx context.Context) Origin {
	if src, ok := ctx.Value(originKey{}).(OriginSource); ok {
		return src.Origin()
	}
	return Origin{}
}
