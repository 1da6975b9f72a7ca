package application

import (
	"context"
	"time"
)

// TrendDays is how many days the compliance trend covers, today included.
const TrendDays = 30

// utcDay is the UTC midnight of t: days of the series are UTC days.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RecordComplianceDay writes today's per-group counts into the series; the
// worker runs it every period (compliance:daily), a run that fails is made
// up by the next one.
type RecordComplianceDay struct {
	Series ComplianceSeries
	Clock  Clock
}

// Execute records today and answers how many groups it wrote.
func (uc RecordComplianceDay) Execute(ctx context.Context) (_ int, err error) {
	ctx, obs := observe(ctx, "RecordComplianceDay")
	defer obs.end(&err)
	return uc.Series.RecordDay(ctx, utcDay(uc.Clock.Now()))
}

// FleetOverview is the console's overview: the fleet's summary, every
// group's compliant share and the compliance of the last TrendDays days.
// The summary and the shares come from one pass over the verdicts, and
// today's point of the trend is the shares' sum: the page counts the fleet
// once, where a summary, shares and a live trend point each counted it.
type FleetOverview struct {
	Compliance ComplianceReader
	Series     ComplianceSeries
	Clock      Clock
}

// Overview is what FleetOverview answers.
type Overview struct {
	Fleet  ComplianceSummary
	Shares []ComplianceShare
	Trend  []ComplianceDay // oldest first, today (computed now) last
}

// Execute answers the overview.
func (uc FleetOverview) Execute(ctx context.Context) (_ Overview, err error) {
	ctx, obs := observe(ctx, "FleetOverview")
	defer obs.end(&err)
	fleet, shares, err := uc.Compliance.Overview(ctx, TopOffenders)
	if err != nil {
		return Overview{}, err
	}
	today := utcDay(uc.Clock.Now())
	days, err := uc.Series.Recorded(ctx, today.AddDate(0, 0, 1-TrendDays), today)
	if err != nil {
		return Overview{}, err
	}
	now := ComplianceDay{Day: today}
	for _, sh := range shares {
		now.Compliant += sh.Compliant
		now.Total += sh.Agents
	}
	return Overview{Fleet: fleet, Shares: shares, Trend: append(days, now)}, nil
}
