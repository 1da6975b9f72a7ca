package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// DeleteThreatFeed removes a feed and its advisories, which lifts every
// block it caused.
type DeleteThreatFeed struct {
	Tx          Transactor
	Feeds       ThreatFeedRepository
	Audit       AuditLog
	Clock       Clock
	Invalidator PolicyInvalidator
}

// Execute deletes the feed. Errors: not_found.
func (uc DeleteThreatFeed) Execute(ctx context.Context, actor audit.Actor, id domain.ID) (err error) {
	ctx, obs := observe(ctx, "DeleteThreatFeed")
	defer obs.end(&err)
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		f, err := uc.Feeds.Lock(ctx, id)
		if err != nil {
			return err
		}
		if err := uc.Feeds.Delete(ctx, id, uc.Clock.Now()); err != nil {
			return err
		}
		before := threatFeedDetails(f)
		before["entry_count"] = f.Status().EntryCount
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ThreatFeedDeleted, Actor: actor,
			TargetType: audit.TargetThreatFeed, TargetID: id, Details: map[string]any{"before": before}})
	})
	if err == nil {
		notifyAllGroups(ctx, uc.Invalidator)
	}
	return err
}
