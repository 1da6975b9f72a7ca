package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
)

// InstallationReader answers "who has X installed now" from the current
// inventory table, never from report history.
type InstallationReader interface {
	// ExtensionIDs lists the distinct extension ids installed anywhere now,
	// for evaluating glob and regex patterns in Go.
	ExtensionIDs(ctx context.Context) ([]string, error)
	// Find pages installations matching f, ordered by extension id, agent id
	// and editor. Errors: invalid (cursor).
	Find(ctx context.Context, f InstallationFilter, page PageRequest) (Page[Installation], error)
	// Impact counts the enrolled agents (not decommissioned or deleted)
	// that have an extension of sel installed, per group with the group's
	// enforcement, and lists the first sample of them by agent id, each
	// with its first matching extension by id.
	Impact(ctx context.Context, sel ImpactSelector, sample int) ([]GroupImpact, []ImpactedAgent, error)
}

// InstallationFilter selects installations by exact ids or by publisher;
// exactly one of them is set by the use case (ExtensionIDs non-nil and empty
// selects nothing).
type InstallationFilter struct {
	ExtensionIDs []string
	Publisher    string
	GroupID      domain.ID
}

// Installation is one agent that has one extension installed in one editor.
type Installation struct {
	AgentID     domain.ID
	GroupID     domain.ID
	MachineID   string
	DisplayName string
	ExtensionID string
	Version     string
	Editor      string
	ReportedAt  time.Time
}
