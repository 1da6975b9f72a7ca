package agent

import (
	"context"

	"github.com/extguard/extguard/protocol/agentv1"
)

// RequestExtension asks the server for an extension on behalf of this
// machine, enrolling first when it has not yet. created is false when the
// server answered the request already pending for it.
func RequestExtension(ctx context.Context, o Options, r agentv1.ExtensionRequest) (agentv1.RequestAnswer, bool, error) {
	a, err := newAgent(o)
	if err != nil {
		return agentv1.RequestAnswer{}, false, err
	}
	if err := a.ensureEnrolled(ctx); err != nil {
		return agentv1.RequestAnswer{}, false, explain(err)
	}
	ans, created, err := a.client.RequestExtension(ctx, r)
	return ans, created, explain(err)
}

// Requests lists this machine's requests and their answers.
func Requests(ctx context.Context, o Options) ([]agentv1.RequestAnswer, error) {
	a, err := newAgent(o)
	if err != nil {
		return nil, err
	}
	if err := a.ensureEnrolled(ctx); err != nil {
		return nil, explain(err)
	}
	list, err := a.client.Requests(ctx)
	return list, explain(err)
}
