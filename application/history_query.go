package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// InventoryAt answers "what did this machine have installed then", for
// incident response, from the history; at zero is now.
type InventoryAt struct {
	History HistoryReader
	Clock   Clock
}

// Execute answers one page. Errors: invalid (cursor), not_found.
func (uc InventoryAt) Execute(ctx context.Context, agentID domain.ID, at time.Time, page PageRequest) (_ Page[HistoricItem], err error) {
	ctx, obs := observe(ctx, "InventoryAt")
	defer obs.end(&err)
	if at.IsZero() {
		at = uc.Clock.Now()
	}
	return uc.History.InventoryAt(ctx, agentID, at, page)
}

// FindExposure answers "who had X installed at any moment of this window":
// "was anyone running the malicious 1.4.2 while it was live?" is one call.
type FindExposure struct {
	History HistoryReader
	Clock   Clock
}

// ExposureQuery is the query string; Until zero is now.
type ExposureQuery struct {
	ExtensionID, Publisher, Version string
	Since, Until                    time.Time
}

// Execute answers one page. Errors: invalid (every bad field, cursor).
func (uc FindExposure) Execute(ctx context.Context, q ExposureQuery, page PageRequest) (_ Page[Exposure], err error) {
	ctx, obs := observe(ctx, "FindExposure")
	defer obs.end(&err)
	f := ExposureFilter{Version: q.Version, Since: q.Since, Until: q.Until}
	if f.Until.IsZero() {
		f.Until = uc.Clock.Now()
	}
	var fe domain.FieldErrors
	switch {
	case (q.ExtensionID == "") == (q.Publisher == ""):
		fe.Add("extension_id", "give exactly one of extension_id and publisher")
	case q.ExtensionID != "":
		id, err := extension.ParseExtensionID(q.ExtensionID)
		fe.Include("", err)
		f.ExtensionID = id.String()
	default:
		p, err := extension.ParsePublisher(q.Publisher)
		fe.Include("", err)
		f.Publisher = p
	}
	if q.Version != "" && q.ExtensionID == "" {
		fe.Add("version", "is only meaningful with extension_id")
	}
	if !f.Since.IsZero() && !f.Since.Before(f.Until) {
		fe.Add("since", "must be before until")
	}
	if err := fe.Err("invalid exposure query"); err != nil {
		return Page[Exposure]{}, err
	}
	return uc.History.Exposure(ctx, f, page)
}
