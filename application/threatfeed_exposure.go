package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// FeedExposure is how much of the fleet has an extension a feed names
// installed now, counted as the blocklist impact counts (BlockImpact: one
// set-based query for all the feed's patterns). It counts any installed
// version and ignores the groups' suppressions: it is the exposure, not
// what the feed's advisories enforce.
type FeedExposure struct {
	Feeds  ThreatFeedRepository
	Impact BlockImpact
}

// Execute answers the exposure, without a sample of agents. Errors: not_found (feed).
func (uc FeedExposure) Execute(ctx context.Context, feedID domain.ID) (_ Impact, err error) {
	ctx, obs := observe(ctx, "FeedExposure")
	defer obs.end(&err)
	if _, err := uc.Feeds.Get(ctx, feedID); err != nil {
		return Impact{}, err
	}
	var patterns []blocklist.Pattern
	page := PageRequest{Limit: MaxPageLimit}
	for {
		p, err := uc.Feeds.ListAdvisories(ctx, feedID, page)
		if err != nil {
			return Impact{}, err
		}
		for _, a := range p.Items {
			patterns = append(patterns, a.Entry.Pattern)
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	return uc.Impact.Of(ctx, patterns, 0)
}
