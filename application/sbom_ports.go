package application

import (
	"context"

	"github.com/extguard/extguard/domain"
)

// SBOMReader pages what enrolled agents have installed now, for software
// bills of materials, in (agent, editor, extension) order, so a fleet's
// SBOM is read a page at a time and never held whole.
type SBOMReader interface {
	// InstalledPage answers up to limit items of scope after the key
	// (zero: from the start). Errors: unavailable.
	InstalledPage(ctx context.Context, scope SBOMScope, after SBOMKey, limit int) ([]SBOMItem, error)
}

// SBOMScope is one agent, one group or (both zero) the fleet.
type SBOMScope struct {
	AgentID domain.ID
	GroupID domain.ID
}

// SBOMKey is the position of an item in the order pages are read in.
type SBOMKey struct {
	AgentID     domain.ID
	Editor      string
	ExtensionID string
}

// SBOMItem is one extension installed in one editor of one machine.
type SBOMItem struct {
	AgentID       domain.ID
	GroupID       domain.ID
	MachineID     string
	DisplayName   string
	Editor        string
	ExtensionID   string
	Version       string
	ContentSHA256 string // "" when the agent reported none
}

// Key is the item's position.
func (it SBOMItem) Key() SBOMKey { return SBOMKey{it.AgentID, it.Editor, it.ExtensionID} }
