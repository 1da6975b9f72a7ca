package application

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/threatfeed"
)

// ImportThreatFeed applies a feed's content, fetched or pushed by an admin:
// parsed whole first (a partial parse is never applied), then, in one
// transaction with the feed locked, the advisories replaced, the status
// updated and the change audited, with advisory.matched naming who has the
// new advisories' extensions and advisory.lifted the blocks that left.
type ImportThreatFeed struct {
	Tx          Transactor
	Feeds       ThreatFeedRepository
	Exposure    ExposureReader
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// FeedSource says where imported content came from, for the audit row.
type FeedSource string

const (
	SourceImport FeedSource = "import" // pushed through the API
	SourceFetch  FeedSource = "fetch"  // fetched by the worker
	SourceCLI    FeedSource = "cli"    // extguard feeds import
)

// ImportResult is what an import changed.
type ImportResult struct {
	Feed    threatfeed.Feed
	Added   int
	Removed int
	Kept    int
	Matched int // added advisories that installed extensions match
}

// maxListedAdvisories bounds the advisories an audit row lists by name; the
// counts are always whole.
const maxListedAdvisories = 500

// Execute imports content. Errors: not_found, invalid (content that does
// not parse: the feed keeps its last good advisories and records the error
// in its status), unavailable.
func (uc ImportThreatFeed) Execute(ctx context.Context, actor audit.Actor, feedID domain.ID, content FeedContent, src FeedSource) (_ ImportResult, err error) {
	ctx, obs := observe(ctx, "ImportThreatFeed")
	defer obs.end(&err)
	f, err := uc.Feeds.Get(ctx, feedID)
	if err != nil {
		return ImportResult{}, err
	}
	entries, perr := threatfeed.Parse(f.Kind(), content.Body)
	if perr != nil {
		return ImportResult{}, recordFeedError(ctx, uc.Feeds, uc.Clock, f, perr)
	}
	var res ImportResult
	changed := 0
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		f, err := uc.Feeds.Lock(ctx, feedID)
		if err != nil {
			return err
		}
		now := uc.Clock.Now()
		change, err := uc.Feeds.ReplaceAdvisories(ctx, feedID, entries, now)
		if err != nil {
			return err
		}
		st := threatfeed.Status{LastSuccessAt: now, EntryCount: len(entries), ETag: content.ETag, LastModified: content.LastModified}
		if err := uc.Feeds.SetStatus(ctx, feedID, st, now); err != nil {
			return err
		}
		res = ImportResult{Feed: f.WithStatus(st), Added: len(change.Added), Removed: len(change.Removed), Kept: change.Kept}
		changed = change.Changed
		if err := appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ThreatFeedImported, Actor: actor,
			TargetType: audit.TargetThreatFeed, TargetID: feedID, Details: map[string]any{"feed": f.Name(), "source": string(src),
				"added": res.Added, "removed": res.Removed, "kept": res.Kept, "changed": changed, "entry_count": len(entries)}}); err != nil {
			return err
		}
		if res.Matched, err = uc.auditMatches(ctx, actor, f, change.Added); err != nil {
			return err
		}
		return uc.auditLifted(ctx, actor, f, change.Removed)
	})
	if err != nil {
		return ImportResult{}, err
	}
	if res.Added+res.Removed+changed > 0 {
		// Every group's policy may have changed (a kept advisory's new
		// versions or reason too); ETags change only where the compiled
		// policy did, since an ETag is a hash of it.
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return res, nil
}

// recordFeedError keeps the feed's advisories and last success and notes
// the failure in its status; it answers cause (or the status write's error).
func recordFeedError(ctx context.Context, feeds ThreatFeedRepository, clock Clock, f threatfeed.Feed, cause error) error {
	now := clock.Now()
	st := f.Status()
	st.LastErrorAt, st.LastError = now, threatfeed.CutError(errorText(cause))
	if err := feeds.SetStatus(ctx, f.ID(), st, now); err != nil {
		return err
	}
	return cause
}

// errorText is the error as the status shows it: a domain error's message
// and field messages, never a wrapped driver's text.
func errorText(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		msg := de.Message
		for _, fe := range de.Fields {
			msg += "; " + fe.Message
		}
		return msg
	}
	return err.Error()
}

func (uc ImportThreatFeed) auditMatches(ctx context.Context, actor audit.Actor, f threatfeed.Feed, added []threatfeed.Entry) (int, error) {
	if len(added) == 0 || uc.Exposure == nil {
		return 0, nil
	}
	exp, err := uc.Exposure.Exposure(ctx, added)
	if err != nil || len(exp) == 0 {
		return 0, err
	}
	perGroup := map[domain.ID]int{}
	var listed []map[string]any
	for _, e := range exp {
		groups := make([]map[string]any, len(e.Groups))
		for i, g := range e.Groups {
			groups[i] = map[string]any{"group_id": g.GroupID.String(), "agents": g.Agents}
			perGroup[g.GroupID] += g.Agents
		}
		if len(listed) < maxListedAdvisories {
			listed = append(listed, map[string]any{"pattern_type": string(e.Entry.Pattern.Type()), "pattern": e.Entry.Pattern.String(),
				"versions": e.Entry.Versions, "severity": string(e.Entry.Severity), "reason": e.Entry.Reason,
				"reference": e.Entry.Reference, "agents": e.Agents, "groups": groups})
		}
	}
	return len(exp), appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AdvisoryMatched, Actor: actor,
		TargetType: audit.TargetThreatFeed, TargetID: f.ID(), Details: map[string]any{"feed": f.Name(), "mode": string(f.Mode()),
			"matched": len(exp), "advisories": listed, "groups": groupCounts(perGroup)}})
}

// auditLifted records the blocks that left a block-mode feed.
func (uc ImportThreatFeed) auditLifted(ctx context.Context, actor audit.Actor, f threatfeed.Feed, removed []threatfeed.Entry) error {
	if len(removed) == 0 || f.Mode() != threatfeed.ModeBlock {
		return nil
	}
	listed := make([]map[string]any, 0, min(len(removed), maxListedAdvisories))
	for _, e := range removed[:min(len(removed), maxListedAdvisories)] {
		listed = append(listed, map[string]any{"pattern_type": string(e.Pattern.Type()), "pattern": e.Pattern.String()})
	}
	return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AdvisoryLifted, Actor: actor,
		TargetType: audit.TargetThreatFeed, TargetID: f.ID(), Details: map[string]any{"feed": f.Name(),
			"lifted": len(removed), "advisories": listed}})
}

// groupCounts lists per-group sums in group id order, so the audit row does
// not depend on map order.
func groupCounts(m map[domain.ID]int) []map[string]any {
	ids := make([]domain.ID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b domain.ID) int { return strings.Compare(a.String(), b.String()) })
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"group_id": id.String(), "agents": m[id]}
	}
	return out
}
