package application

import (
	"context"
	"errors"
	"time"

	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/threatfeed"
)

// FetchThreatFeeds is the periodic fetch: every feed with a URL whose
// interval has passed since its last attempt is downloaded (sending the
// last good ETag and Last-Modified) and imported. A feed that fails to
// download or parse keeps its last good advisories; the error is in its
// status, and the next attempt waits a whole interval.
type FetchThreatFeeds struct {
	Feeds   ThreatFeedRepository
	Fetcher FeedFetcher
	Import  ImportThreatFeed
	Clock   Clock
}

// FetchResult counts what one run did.
type FetchResult struct {
	Fetched, NotModified, Failed int
}

// Execute fetches the feeds that are due. Errors: only the repository's
// (unavailable); a feed's own failure is recorded and counted.
func (uc FetchThreatFeeds) Execute(ctx context.Context) (_ FetchResult, err error) {
	ctx, obs := observe(ctx, "FetchThreatFeeds")
	defer obs.end(&err)
	feeds, err := uc.Feeds.Fetched(ctx)
	if err != nil {
		return FetchResult{}, err
	}
	var res FetchResult
	for _, f := range feeds {
		if !f.Due(uc.Clock.Now()) {
			continue
		}
		switch err := uc.fetchOne(ctx, f); {
		case err == nil:
			res.Fetched++
		case errors.Is(err, errNotModified):
			res.NotModified++
		default:
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed++
		}
	}
	return res, nil
}

// errNotModified: the server answered 304, the last good content stands.
var errNotModified = errors.New("not modified")

func (uc FetchThreatFeeds) fetchOne(ctx context.Context, f threatfeed.Feed) error {
	st := f.Status()
	content, err := uc.Fetcher.Fetch(ctx, f.URL(), st.ETag, st.LastModified)
	if err != nil {
		return recordFeedError(ctx, uc.Feeds, uc.Clock, f, err)
	}
	if content.NotModified {
		now := uc.Clock.Now()
		st.LastSuccessAt, st.LastErrorAt, st.LastError = now, time.Time{}, ""
		if err := uc.Feeds.SetStatus(ctx, f.ID(), st, now); err != nil {
			return err
		}
		return errNotModified
	}
	_, err = uc.Import.Execute(ctx, audit.SystemActor(), f.ID(), content, SourceFetch)
	return err
}
