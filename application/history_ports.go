package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
)

// HistoryReader answers questions about the past from the report history
// (one row per change: docs/history-and-retention.md), never from the
// current inventory.
type HistoryReader interface {
	// InventoryAt pages what the agent had installed at the instant at:
	// every (editor, extension) whose newest history row at or before at
	// says installed, ordered by editor and extension id. Errors:
	// not_found (no such agent), invalid (cursor).
	InventoryAt(ctx context.Context, agentID domain.ID, at time.Time, page PageRequest) (Page[HistoricItem], error)
	// Exposure pages every agent that had a matching extension installed at
	// any moment of [f.Since, f.Until], one entry per agent and extension,
	// ordered by extension id and agent id. Errors: invalid (cursor).
	Exposure(ctx context.Context, f ExposureFilter, page PageRequest) (Page[Exposure], error)
}

// HistoricItem is one extension an agent had installed at some instant,
// and since when (the history row that put it in that state).
type HistoricItem struct {
	Editor      string
	ExtensionID string
	Version     string
	SHA256      string
	Since       time.Time
}

// ExposureFilter selects the extension (exactly one of ExtensionID and
// Publisher), optionally one version of it, and the window; Since zero is
// "from the start of the history".
type ExposureFilter struct {
	ExtensionID string
	Publisher   string
	Version     string
	Since       time.Time
	Until       time.Time
}

// Exposure is one agent that had the extension installed during the
// window: FirstSeen is when the earliest installation that overlapped the
// window began (it may precede the window), LastSeen when the latest one
// ended, or the window's end while it was still installed then
// (StillInstalled).
type Exposure struct {
	AgentID        domain.ID
	GroupID        domain.ID
	MachineID      string
	DisplayName    string
	ExtensionID    string
	Versions       []string
	Editors        []string
	FirstSeen      time.Time
	LastSeen       time.Time
	StillInstalled bool
}
