package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
)

// AgentDetail is an agent with what it has installed now and its newest verdict.
type AgentDetail struct {
	Agent     agent.Agent
	Inventory []InventoryItem
	Verdict   *AgentVerdict // nil before the first report
}

// GetAgent reads one agent with its current inventory and verdict.
type GetAgent struct {
	Agents AgentRepository
	Fleet  FleetReader
}

// Execute answers the agent. Errors: not_found.
func (uc GetAgent) Execute(ctx context.Context, id domain.ID) (_ AgentDetail, err error) {
	ctx, obs := observe(ctx, "GetAgent")
	defer obs.end(&err)
	a, err := uc.Agents.Get(ctx, id)
	if err != nil {
		return AgentDetail{}, err
	}
	inv, err := uc.Fleet.Inventory(ctx, id)
	if err != nil {
		return AgentDetail{}, err
	}
	d := AgentDetail{Agent: a, Inventory: inv}
	v, ok, err := uc.Fleet.Verdict(ctx, id)
	if ok {
		d.Verdict = &v
	}
	return d, err
}

// ListAgents pages agents.
type ListAgents struct{ Fleet FleetReader }

// Execute answers one page. Errors: invalid (cursor).
func (uc ListAgents) Execute(ctx context.Context, f AgentFilter, page PageRequest) (_ Page[agent.Agent], err error) {
	ctx, obs := observe(ctx, "ListAgents")
	defer obs.end(&err)
	return uc.Fleet.Agents(ctx, f, page)
}

// ListReports pages report history, newest first.
type ListReports struct{ Fleet FleetReader }

// Execute answers one page. Errors: invalid (cursor, since after until).
func (uc ListReports) Execute(ctx context.Context, f ReportFilter, page PageRequest) (_ Page[ReportRecord], err error) {
	ctx, obs := observe(ctx, "ListReports")
	defer obs.end(&err)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return Page[ReportRecord]{}, domain.Invalid("invalid time range", domain.FieldError{Field: "until", Message: "must be after since"})
	}
	return uc.Fleet.Reports(ctx, f, page)
}
