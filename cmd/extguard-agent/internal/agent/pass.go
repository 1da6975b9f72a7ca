package agent

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/state"
	"github.com/extguard/extguard/protocol/agentv1"
)

const (
	machineIDSecret = "machine-id" // used only where the platform has no machine id
	userSaltSecret  = "user-salt"
)

// passResult is what one pass did, for its log line and for --once's exit code.
type passResult struct {
	policyChanged bool
	queued        int
	delivered     int
	verdict       *agentv1.Verdict
	outcomes      []enforce.Outcome
	actionsIgnore int
}

// pass does what is due. The local part (looking at the editors, queueing a report) happens even
// when the server is unreachable, so a change made offline is reported when the server returns.
func (a *agent) pass(ctx context.Context, networkDue, pollDue bool) (passResult, error) {
	var res passResult
	if pollDue {
		if err := a.refreshInventory(a.fullReportDue()); err != nil {
			return res, err
		}
	}
	var netErr error
	if networkDue {
		res.policyChanged, netErr = a.sync(ctx)
	}
	if err := a.queueReportIfNeeded(&res); err != nil {
		return res, err
	}
	if netErr != nil || (!networkDue && a.offline) || a.enrollment.AgentID == "" {
		a.offline = a.offline || netErr != nil
		return res, netErr
	}
	if err := a.deliver(ctx, &res); err != nil {
		return res, err
	}
	if res.verdict != nil && len(res.verdict.Actions) > 0 {
		return res, a.enforce(ctx, &res)
	}
	return res, nil
}

// sync enrolls when needed, heartbeats, and fetches the policy when the heartbeat names another one.
func (a *agent) sync(ctx context.Context) (policyChanged bool, err error) {
	if err := a.ensureEnrolled(ctx); err != nil {
		return false, err
	}
	hb, err := a.client.Heartbeat(ctx, agentv1.HeartbeatRequest{AgentVersion: a.o.Version})
	if err != nil {
		return false, err
	}
	a.setInterval(hb.HeartbeatIntervalS)
	if hb.PolicyETag == a.policy.ETag && a.policy.ETag != "" {
		return false, nil
	}
	p, unchanged, err := a.client.Policy(ctx, a.policy.ETag)
	if err != nil || unchanged {
		return false, err
	}
	a.policy = p
	if err := a.store.SavePolicy(p); err != nil {
		a.log.Warn("policy not kept for the next run", "error", err)
	}
	// The server computes actions when it answers a report, so a new policy calls for a report.
	a.reportNeeded = true
	return true, nil
}

func (a *agent) ensureEnrolled(ctx context.Context) error {
	if a.enrollment.AgentID != "" {
		return nil
	}
	req, err := a.enrollRequest(ctx)
	if err != nil {
		return err
	}
	enr, err := a.client.Enroll(ctx, req)
	if err != nil {
		return err
	}
	e := state.Enrollment{Server: a.server, KeySHA256: state.KeyFingerprint(a.o.Key), AgentID: enr.AgentID,
		GroupID: enr.GroupID, MachineID: req.MachineID, HeartbeatIntervalS: enr.HeartbeatIntervalS, EnrolledAt: time.Now().UTC()}
	if err := a.store.SaveEnrollment(e); err != nil {
		return err
	}
	a.enrollment = e
	a.client.SetAgentID(e.AgentID)
	a.setInterval(e.HeartbeatIntervalS)
	a.log.Info("enrolled", "agent_id", e.AgentID, "group_id", e.GroupID, "machine_id", e.MachineID)
	return nil
}

func (a *agent) enrollRequest(ctx context.Context) (agentv1.EnrollRequest, error) {
	machineID, err := identity.MachineID(ctx, a.o.GOOS, a.o.Identity, func() (string, error) {
		return a.store.Secret(machineIDSecret)
	})
	if err != nil {
		return agentv1.EnrollRequest{}, err
	}
	salt, err := a.store.Secret(userSaltSecret)
	if err != nil {
		return agentv1.EnrollRequest{}, err
	}
	userName, err := identity.UserName()
	if err != nil {
		return agentv1.EnrollRequest{}, err
	}
	host, _ := os.Hostname()
	return agentv1.EnrollRequest{MachineID: machineID, UserHash: identity.UserHash(salt, userName), DisplayName: host,
		Platform: identity.Platform(a.o.GOOS, runtime.GOARCH), AgentVersion: a.o.Version}, nil
}

// enforce carries out the verdict's actions when this agent may, then reports at once what it did,
// so the server (and --once's exit code) see the machine as it now is.
func (a *agent) enforce(ctx context.Context, res *passResult) error {
	if a.o.Enforce == EnforceOff || a.policy.Enforcement != agentv1.EnforcementEnforce {
		res.actionsIgnore = len(res.verdict.Actions)
		return nil
	}
	res.outcomes = a.enforcer.Apply(ctx, res.verdict.Actions, a.insts)
	if len(res.outcomes) == 0 {
		return nil
	}
	for _, o := range res.outcomes {
		if row, ok := o.ReportRow(); ok {
			a.pendingRows = append(a.pendingRows, row)
		}
	}
	if err := a.refreshInventory(true); err != nil {
		return err
	}
	a.reportNeeded = true
	if err := a.queueReportIfNeeded(res); err != nil {
		return err
	}
	return a.deliver(ctx, res)
}

func (a *agent) logPass(res passResult, err error) {
	attrs := []any{"policy_etag", a.policy.ETag, "queued", res.queued, "delivered", res.delivered}
	if res.policyChanged {
		attrs = append(attrs, "policy", "updated", "enforcement", a.policy.Enforcement)
	}
	if v := res.verdict; v != nil {
		attrs = append(attrs, "compliant", v.Compliant, "violations", len(v.Violations), "actions", len(v.Actions))
	}
	if res.actionsIgnore > 0 {
		attrs = append(attrs, "actions_ignored", res.actionsIgnore, "enforce", a.o.Enforce, "enforcement", a.policy.Enforcement)
	}
	if len(res.outcomes) > 0 {
		failed := 0
		for _, o := range res.outcomes {
			if o.Err != nil {
				failed++
			}
		}
		attrs = append(attrs, "enforced", len(res.outcomes), "enforce_failed", failed)
	}
	switch {
	case err != nil:
		a.log.Warn("pass failed", append(attrs, "error", err)...)
	case res.queued+res.delivered > 0 || res.policyChanged:
		a.log.Info("pass", attrs...)
	default: // a heartbeat with nothing new: the quiet, common case
		a.log.Debug("pass", attrs...)
	}
}
