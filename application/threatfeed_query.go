package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// GetThreatFeed reads one feed with its status.
type GetThreatFeed struct{ Feeds ThreatFeedRepository }

// Execute answers the feed. Errors: not_found.
func (uc GetThreatFeed) Execute(ctx context.Context, id domain.ID) (_ threatfeed.Feed, err error) {
	ctx, obs := observe(ctx, "GetThreatFeed")
	defer obs.end(&err)
	return uc.Feeds.Get(ctx, id)
}

// ListThreatFeeds pages the feeds.
type ListThreatFeeds struct{ Feeds ThreatFeedRepository }

// Execute answers a page. Errors: invalid (cursor).
func (uc ListThreatFeeds) Execute(ctx context.Context, page PageRequest) (_ Page[threatfeed.Feed], err error) {
	ctx, obs := observe(ctx, "ListThreatFeeds")
	defer obs.end(&err)
	return uc.Feeds.List(ctx, page)
}

// ListAdvisories pages one feed's advisories.
type ListAdvisories struct{ Feeds ThreatFeedRepository }

// Execute answers a page. Errors: not_found (feed), invalid (cursor).
func (uc ListAdvisories) Execute(ctx context.Context, feedID domain.ID, page PageRequest) (_ Page[Advisory], err error) {
	ctx, obs := observe(ctx, "ListAdvisories")
	defer obs.end(&err)
	if _, err := uc.Feeds.Get(ctx, feedID); err != nil {
		return Page[Advisory]{}, err
	}
	return uc.Feeds.ListAdvisories(ctx, feedID, page)
}
