package application

import (
	"context"
	"sync/atomic"
)

// UseCaseObserver watches use cases run. Start is called as one begins, with
// its name; it returns the context the use case continues with (carrying, say,
// a span) and a function told how the use case ended. adapters/telemetry
// installs one that opens a span per use case; application itself stays free
// of any tracing library, as the architecture test requires.
type UseCaseObserver interface {
	Start(ctx context.Context, useCase string) (context.Context, func(err error))
}

// useCaseObserver is installed once at startup (and by tests); a process
// without one pays an atomic load per use case.
var useCaseObserver atomic.Pointer[UseCaseObserver]

// SetUseCaseObserver installs o for every use case of the process; nil
// removes it.
func SetUseCaseObserver(o UseCaseObserver) {
	if o == nil {
		useCaseObserver.Store(nil)
		return
	}
	useCaseObserver.Store(&o)
}

// observe starts watching a use case. Use it first thing, with a named error
// result, so the observer sees how the use case ended:
//
//	ctx, obs := observe(ctx, "CreateGroup")
//	defer obs.end(&err)
func observe(ctx context.Context, useCase string) (context.Context, observation) {
	o := useCaseObserver.Load()
	if o == nil {
		return ctx, observation{}
	}
	ctx, done := (*o).Start(ctx, useCase)
	return ctx, observation{done: done}
}

// observation is a value, not a closure, so that watching a use case costs
// no allocation: the agent API's requests run two or three use cases each.
type observation struct{ done func(error) }

func (o observation) end(err *error) {
	if o.done != nil {
		o.done(*err)
	}
}
