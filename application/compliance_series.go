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

// ComplianceTrend is the fleet's compliance over the last TrendDays days,
// today computed at read time.
type ComplianceTrend struct {
	Series ComplianceSeries
	Clock  Clock
}

// Execute answers the days, oldest first.
func (uc ComplianceTrend) Execute(ctx context.Context) (_ []ComplianceDay, err error) {
	ctx, obs := observe(ctx, "ComplianceTrend")
	defer obs.end(&err)
	today := utcDay(uc.Clock.Now())
	return uc.Series.Daily(ctx, today.AddDate(0, 0, 1-TrendDays), today)
}
