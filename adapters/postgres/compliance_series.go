package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
)

// ComplianceSeries is the daily series in compliance_daily.
type ComplianceSeries struct{ db *bun.DB }

var _ application.ComplianceSeries = (*ComplianceSeries)(nil)

// NewComplianceSeries returns the series on db.
func NewComplianceSeries(db *bun.DB) *ComplianceSeries { return &ComplianceSeries{db: db} }

func sqlDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// RecordDay upserts the day's row of every group that has agents and drops
// the day's rows of groups that no longer have any, in one statement.
func (s *ComplianceSeries) RecordDay(ctx context.Context, day time.Time) (int, error) {
	var written int
	err := conn(ctx, s.db).NewRaw(`
WITH live AS (`+liveShares+`),
up AS (
  INSERT INTO compliance_daily (day, group_id, compliant, total)
  SELECT ?0::date, group_id, compliant, agents FROM live
  ON CONFLICT (day, group_id) DO UPDATE SET compliant = EXCLUDED.compliant, total = EXCLUDED.total
  RETURNING group_id
),
gone AS (
  DELETE FROM compliance_daily d WHERE d.day = ?0::date AND NOT EXISTS (SELECT 1 FROM live WHERE live.group_id = d.group_id)
)
SELECT count(*) FROM up`, sqlDay(day)).Scan(ctx, &written)
	return written, err
}

// Recorded sums the recorded groups per day, from from up to before.
func (s *ComplianceSeries) Recorded(ctx context.Context, from, before time.Time) ([]application.ComplianceDay, error) {
	var rows []struct {
		Day       time.Time `bun:"day"`
		Compliant int       `bun:"compliant"`
		Total     int       `bun:"total"`
	}
	err := conn(ctx, s.db).NewRaw(`
SELECT day, sum(compliant)::int AS compliant, sum(total)::int AS total
FROM compliance_daily WHERE day >= ?0::date AND day < ?1::date GROUP BY day ORDER BY day`, sqlDay(from), sqlDay(before)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]application.ComplianceDay, len(rows))
	for i, r := range rows {
		out[i] = application.ComplianceDay{Day: r.Day.UTC(), Compliant: r.Compliant, Total: r.Total}
	}
	return out, nil
}
