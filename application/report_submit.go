package application

import (
	"context"

	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// SubmitReport validates an agent's inventory, judges it against the
// group's compiled policy and stores it through the group-commit batcher:
// the answer comes only after the batch holding the report has committed.
type SubmitReport struct {
	Policies   CompiledPolicies
	Exceptions AgentExceptions // nil: the group's policy alone
	Batcher    *ReportBatcher
	Clock      Clock
}

// Execute returns the verdict for the inventory. Errors: invalid (fields;
// report.IsTooMany for more than report.MaxItems extensions), forbidden
// (group gone), rate_limited (*RateLimitedError, the queue is full),
// unavailable.
func (uc SubmitReport) Execute(ctx context.Context, a agent.Agent, p report.ReportParams, clientIP string) (_ policy.Verdict, err error) {
	ctx, obs := observe(ctx, "SubmitReport")
	defer obs.end(&err)
	now := uc.Clock.Now()
	r, err := report.NewReport(p, now)
	if err != nil {
		return policy.Verdict{}, err
	}
	cp, err := agentPolicy(ctx, uc.Policies, uc.Exceptions, a)
	if err != nil {
		return policy.Verdict{}, err
	}
	v := cp.Policy.EvaluateReport(r)
	err = uc.Batcher.Submit(ctx, StoredReport{AgentID: a.ID(), GroupID: a.GroupID(), UserHash: a.UserHash(),
		ClientIP: clientIP, Report: r, Verdict: v, PolicyETag: cp.Policy.ETag, ReceivedAt: now})
	if err != nil {
		return policy.Verdict{}, err
	}
	return v, nil
}
