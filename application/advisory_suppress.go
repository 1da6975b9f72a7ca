package application

import (
	"context"
	"strings"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/threatfeed"
)

// SuppressAdvisory stops one group applying one advisory of a feed (a
// false positive, an accepted risk), with the reason on record.
type SuppressAdvisory struct {
	Tx          Transactor
	Feeds       ThreatFeedRepository
	Groups      GroupRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// SuppressAdvisoryInput names the advisory by its pattern.
type SuppressAdvisoryInput struct {
	GroupID     domain.ID
	PatternType string
	Pattern     string
	Reason      string
}

// Execute records the suppression. Errors: invalid, not_found (feed, group
// or advisory), conflict (already suppressed).
func (uc SuppressAdvisory) Execute(ctx context.Context, actor audit.Actor, feedID domain.ID, in SuppressAdvisoryInput) (_ AdvisorySuppression, err error) {
	ctx, obs := observe(ctx, "SuppressAdvisory")
	defer obs.end(&err)
	var fe domain.FieldErrors
	pat, perr := blocklist.NewPattern(blocklist.PatternType(in.PatternType), in.Pattern)
	fe.Include("", perr)
	reason := fe.Text("reason", in.Reason, 1, threatfeed.MaxReasonLength)
	if in.GroupID.IsZero() {
		fe.Add("group_id", "required")
	}
	if err := fe.Err("invalid suppression"); err != nil {
		return AdvisorySuppression{}, err
	}
	s := AdvisorySuppression{GroupID: in.GroupID, FeedID: feedID, PatternType: string(pat.Type()), Pattern: pat.String(),
		Reason: reason, CreatedBy: userID(actor), CreatedAt: uc.Clock.Now()}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		f, err := uc.Feeds.Lock(ctx, feedID)
		if err != nil {
			return err
		}
		if _, err := uc.Groups.Get(ctx, in.GroupID); err != nil {
			return err
		}
		ok, err := uc.Feeds.HasAdvisory(ctx, feedID, s.PatternType, s.Pattern)
		if err != nil {
			return err
		}
		if !ok {
			return domain.NotFound("feed has no advisory " + strings.TrimSpace(s.PatternType+" "+s.Pattern))
		}
		if err := uc.Feeds.Suppress(ctx, s); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.AdvisorySuppressed, Actor: actor,
			GroupID: in.GroupID, TargetType: audit.TargetThreatFeed, TargetID: feedID, Details: map[string]any{"feed": f.Name(),
				"pattern_type": s.PatternType, "pattern": s.Pattern, "reason": s.Reason}})
	})
	if err != nil {
		return AdvisorySuppression{}, err
	}
	notifyGroups(ctx, uc.Invalidator, in.GroupID)
	return s, nil
}
