package application

import (
	"context"
	"time"
)

// ExportSBOM answers the installed extensions of an agent, a group or the
// fleet as a stream of pages, for a software bill of materials.
type ExportSBOM struct {
	Agents AgentRepository
	Groups GroupRepository
	Reader SBOMReader
	Clock  Clock
}

// sbomPageSize bounds what one page holds in memory.
const sbomPageSize = 1000

// SBOMStream is an opened export: Each reads it page by page.
type SBOMStream struct {
	Scope       SBOMScope
	Subject     string // the agent's machine id or the group's name; "" for the fleet
	GeneratedAt time.Time
	reader      SBOMReader
}

// Execute checks the scope exists and opens the stream. Errors: not_found.
func (uc ExportSBOM) Execute(ctx context.Context, scope SBOMScope) (_ SBOMStream, err error) {
	ctx, obs := observe(ctx, "ExportSBOM")
	defer obs.end(&err)
	s := SBOMStream{Scope: scope, GeneratedAt: uc.Clock.Now(), reader: uc.Reader}
	switch {
	case !scope.AgentID.IsZero():
		a, err := uc.Agents.Get(ctx, scope.AgentID)
		if err != nil {
			return SBOMStream{}, err
		}
		s.Subject = a.MachineID()
	case !scope.GroupID.IsZero():
		g, err := uc.Groups.Get(ctx, scope.GroupID)
		if err != nil {
			return SBOMStream{}, err
		}
		s.Subject = g.Name()
	}
	return s, nil
}

// Each hands fn every page in order; fn's error or the reader's stops it.
// Errors: unavailable, or fn's.
func (s SBOMStream) Each(ctx context.Context, fn func([]SBOMItem) error) error {
	var after SBOMKey
	for {
		page, err := s.reader.InstalledPage(ctx, s.Scope, after, sbomPageSize)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
			after = page[len(page)-1].Key()
		}
		if len(page) < sbomPageSize {
			return nil
		}
	}
}

// IsFleet reports a fleet-wide stream.
func (s SBOMStream) IsFleet() bool { return s.Scope == (SBOMScope{}) }
