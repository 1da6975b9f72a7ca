package application

import "context"

// DetectStaleAgents is the periodic stale-agent scan: every agent silent
// beyond its group's thresholds moves to stale or offline, each transition
// audited and fanned out to webhooks in the same transaction. A heartbeat
// brings an agent back to active (the agent API's heartbeat path).
type DetectStaleAgents struct {
	Tx       Transactor
	Liveness AgentLiveness
	Clock    Clock
}

// Execute runs one scan. Running it twice at the same time is harmless: a
// transition is made (and audited) once. Errors: unavailable, internal.
func (uc DetectStaleAgents) Execute(ctx context.Context) (_ StaleScanResult, err error) {
	ctx, obs := observe(ctx, "DetectStaleAgents")
	defer obs.end(&err)
	var res StaleScanResult
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		res, err = uc.Liveness.MarkSilentAgents(ctx, uc.Clock.Now())
		return err
	})
	return res, err
}
