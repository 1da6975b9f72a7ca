package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// ThreatFeedRepository stores threat feeds and their advisories (the
// entries of each feed's last good content).
type ThreatFeedRepository interface {
	// Create inserts f. Errors: conflict (a feed of that name exists).
	Create(ctx context.Context, f threatfeed.Feed, createdBy domain.ID) error
	// Get reads a feed that is not deleted. Errors: not_found.
	Get(ctx context.Context, id domain.ID) (threatfeed.Feed, error)
	// Lock reads a feed locked until the caller's transaction ends, so two
	// imports of one feed apply one after the other. Errors: not_found.
	Lock(ctx context.Context, id domain.ID) (threatfeed.Feed, error)
	// List pages feeds by id. Errors: invalid (cursor).
	List(ctx context.Context, page PageRequest) (Page[threatfeed.Feed], error)
	// Fetched lists every feed with a URL, for the periodic fetch.
	Fetched(ctx context.Context) ([]threatfeed.Feed, error)
	// Delete soft-deletes the feed and removes its advisories and their
	// suppressions. Errors: not_found.
	Delete(ctx context.Context, id domain.ID, at time.Time) error
	// SetStatus stores a feed's status. Errors: not_found.
	SetStatus(ctx context.Context, id domain.ID, s threatfeed.Status, at time.Time) error
	// ReplaceAdvisories makes entries the feed's advisories: new ones are
	// first seen at at, kept ones keep their first sighting, missing ones
	// are removed. It answers what was added and removed.
	ReplaceAdvisories(ctx context.Context, feedID domain.ID, entries []threatfeed.Entry, at time.Time) (AdvisoryChange, error)
	// ListAdvisories pages the feed's advisories by pattern type and
	// pattern. Errors: invalid (cursor).
	ListAdvisories(ctx context.Context, feedID domain.ID, page PageRequest) (Page[Advisory], error)
	// HasAdvisory reports whether the feed holds an advisory of that key
	// (pattern type and pattern).
	HasAdvisory(ctx context.Context, feedID domain.ID, patternType, pattern string) (bool, error)
	// Suppress records that a group does not apply one advisory.
	// Errors: conflict (already suppressed).
	Suppress(ctx context.Context, s AdvisorySuppression) error
}

// Advisory is one entry of a feed's last good content and when the feed
// first listed it.
type Advisory struct {
	Entry       threatfeed.Entry
	FirstSeenAt time.Time
}

// AdvisoryChange is what an import changed in a feed's advisories.
type AdvisoryChange struct {
	Added   []threatfeed.Entry
	Removed []threatfeed.Entry
	Kept    int
	// Changed counts the kept advisories whose versions, severity, reason
	// or reference changed: they change the compiled policies too.
	Changed int
}

// AdvisorySuppression is one advisory (a feed's pattern) one group does
// not apply.
type AdvisorySuppression struct {
	GroupID     domain.ID
	FeedID      domain.ID
	PatternType string
	Pattern     string
	Reason      string
	CreatedBy   domain.ID
	CreatedAt   time.Time
}

// ExposureReader counts who has advisories' extensions installed now.
type ExposureReader interface {
	// Exposure answers, for each entry that matches an installed extension
	// of an enrolled agent (at one of its versions, when it names some),
	// how many agents of each group have it. Entries matching nothing are
	// left out.
	Exposure(ctx context.Context, entries []threatfeed.Entry) ([]AdvisoryExposure, error)
}

// AdvisoryExposure is one entry's installed base.
type AdvisoryExposure struct {
	Entry  threatfeed.Entry
	Groups []GroupCount // by group id
	Agents int          // over every group
}

// GroupCount is a number of agents in one group.
type GroupCount struct {
	GroupID domain.ID
	Agents  int
}

// FeedContent is a fetched feed's body and validators.
type FeedContent struct {
	Body         []byte
	ETag         string
	LastModified string
	NotModified  bool // the server answered 304: the last good content stands
}

// FeedFetcher downloads a feed through the SSRF-guarded client (https
// only, a size cap, a timeout), sending the last good validators.
// Errors: invalid (a refused URL or answer), unavailable (worth retrying).
type FeedFetcher interface {
	Fetch(ctx context.Context, url, etag, lastModified string) (FeedContent, error)
}
