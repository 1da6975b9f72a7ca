package application

import (
	"context"
	"time"
)

// ComplianceSeries keeps the fleet's compliance as a small daily series
// (one row per day and group), for the overview's 30-day chart: report
// history could answer it too, but at a scan of every report per point.
type ComplianceSeries interface {
	// RecordDay writes day's counts per group from the current verdicts in
	// one set-based upsert; running it again the same day overwrites the
	// day's rows (idempotent), so the day's last run is what stays. It
	// answers how many groups it wrote.
	RecordDay(ctx context.Context, day time.Time) (int, error)
	// Recorded answers the fleet's recorded counts per day from from up to
	// before (excluded), oldest first; days nobody recorded are absent.
	Recorded(ctx context.Context, from, before time.Time) ([]ComplianceDay, error)
}

// ComplianceDay is the fleet on one day: Compliant agents of Total (not
// decommissioned).
type ComplianceDay struct {
	Day       time.Time // midnight UTC
	Compliant int
	Total     int
}
