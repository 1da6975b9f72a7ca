package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/threatfeed"
)

// advisories reads every live feed's advisories but those the group
// suppressed, as the rules its policy applies.
func (p *PolicyInputs) advisories(ctx context.Context, db bun.IDB, groupID domain.ID) ([]policy.AdvisoryRule, error) {
	var rows []struct {
		advisoryRow
		FeedName string `bun:"feed_name"`
		FeedMode string `bun:"feed_mode"`
	}
	err := db.NewRaw(`SELECT fa.*, f.name AS feed_name, f.mode AS feed_mode
FROM feed_advisories AS fa
JOIN threat_feeds AS f ON f.id = fa.feed_id AND f.deleted_at IS NULL
WHERE NOT EXISTS (SELECT 1 FROM advisory_suppressions AS s
    WHERE s.group_id = ? AND s.feed_id = fa.feed_id AND s.pattern_type = fa.pattern_type AND s.pattern = fa.pattern)`,
		uid(groupID)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]policy.AdvisoryRule, len(rows))
	for i := range rows {
		r := &rows[i]
		var versions []string
		if len(r.Versions) > 0 {
			versions = r.Versions
		}
		out[i] = policy.AdvisoryRule{Feed: r.FeedName, PatternType: blocklist.PatternType(r.PatternType), Pattern: r.Pattern,
			Versions: versions, Reason: r.Reason, Reference: r.Reference, Block: r.FeedMode == string(threatfeed.ModeBlock)}
	}
	return out, nil
}
