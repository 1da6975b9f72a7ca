package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
)

// EnrollInput is an enrollment request as the agent sent it.
type EnrollInput struct {
	MachineID    string
	UserHash     string
	DisplayName  string
	Platform     string
	AgentVersion string
}

// Enrollment is the outcome: the agent, whether it is new, and the policy
// it should hold.
type Enrollment struct {
	Agent   agent.Agent
	Created bool
	Policy  CompiledPolicy
}

// EnrollAgent enrolls a machine in the key's group, idempotently per
// (group, machine_id): enrolling again updates the same agent (and brings a
// decommissioned one back), audited either way.
type EnrollAgent struct {
	Tx          Transactor
	Agents      AgentRepository
	Audit       AuditLog
	Clock       Clock
	Policies    CompiledPolicies
	Invalidator AgentCacheInvalidator
}

// Execute enrolls. Errors: invalid (fields), forbidden (the key's group is
// gone), unavailable.
func (uc EnrollAgent) Execute(ctx context.Context, k apikey.Key, in EnrollInput) (_ Enrollment, err error) {
	ctx, obs := observe(ctx, "EnrollAgent")
	defer obs.end(&err)
	now := uc.Clock.Now()
	p := agent.EnrollParams{GroupID: k.GroupID(), MachineID: in.MachineID, UserHash: in.UserHash,
		DisplayName: in.DisplayName, Platform: in.Platform, AgentVersion: in.AgentVersion, Now: now}
	fresh, err := agent.NewAgent(p)
	if err != nil {
		return Enrollment{}, err
	}
	cp, err := uc.Policies.Get(ctx, k.GroupID())
	if domain.CodeOf(err) == domain.CodeNotFound {
		return Enrollment{}, domain.Forbidden("the API key's group no longer exists")
	}
	if err != nil {
		return Enrollment{}, err
	}
	var out Enrollment
	for attempt := 0; ; attempt++ {
		out, err = uc.enroll(ctx, k, fresh, p)
		// Two first enrollments of one machine race on the unique index;
		// the loser finds the winner's row on its second try.
		if domain.CodeOf(err) != domain.CodeConflict || attempt > 0 {
			break
		}
	}
	if err != nil {
		return Enrollment{}, err
	}
	if !out.Created {
		uc.Invalidator.AgentChanged(ctx, out.Agent.ID())
	}
	out.Policy = cp
	return out, nil
}

func (uc EnrollAgent) enroll(ctx context.Context, k apikey.Key, fresh agent.Agent, p agent.EnrollParams) (Enrollment, error) {
	var out Enrollment
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		existing, err := uc.Agents.FindByMachineForUpdate(ctx, p.GroupID, fresh.MachineID())
		event, details := audit.AgentEnrolled, map[string]any{}
		switch domain.CodeOf(err) {
		case domain.CodeNotFound:
			if err := uc.Agents.Insert(ctx, fresh); err != nil {
				return err
			}
			out = Enrollment{Agent: fresh, Created: true}
		case "":
			updated, wasDecommissioned, err := existing.Reenroll(p, p.Now)
			if err != nil {
				return err
			}
			if err := uc.Agents.UpdateEnrollment(ctx, updated); err != nil {
				return err
			}
			out = Enrollment{Agent: updated}
			event = audit.AgentReenrolled
			details["previous_status"] = string(existing.Status())
			details["was_decommissioned"] = wasDecommissioned
		default:
			return err
		}
		a := out.Agent
		details["machine_id"], details["platform"], details["agent_version"] = a.MachineID(), a.Platform(), a.AgentVersion()
		details["display_name"], details["key_prefix"] = a.DisplayName(), k.KeyPrefix()
		o := OriginFrom(ctx)
		ev, err := audit.NewEvent(audit.EventParams{Type: event,
			Actor:   audit.Actor{Type: audit.ActorAPIKey, ID: k.ID(), ClientIP: o.ClientIP, UserAgent: o.UserAgent},
			GroupID: a.GroupID(), TargetType: audit.TargetAgent, TargetID: a.ID(), Details: details, CreatedAt: p.Now})
		if err != nil {
			return err
		}
		return uc.Audit.Append(ctx, ev)
	})
	return out, err
}
