package application

import (
	"context"
	"time"

	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/threatfeed"
)

// CreateThreatFeed configures a feed. A feed with a URL is fetched by the
// worker on its interval; one without is only imported.
type CreateThreatFeed struct {
	Tx    Transactor
	Feeds ThreatFeedRepository
	Guard TargetGuard
	Audit AuditLog
	Clock Clock
}

// NewThreatFeedInput is the POST body. Interval zero takes the default.
type NewThreatFeedInput struct {
	Name     string
	Kind     string
	URL      string
	Mode     string
	Interval time.Duration
}

// Execute creates the feed. Errors: invalid (a bad field, a URL the SSRF
// guard refuses), conflict (name taken).
func (uc CreateThreatFeed) Execute(ctx context.Context, actor audit.Actor, in NewThreatFeedInput) (_ threatfeed.Feed, err error) {
	ctx, obs := observe(ctx, "CreateThreatFeed")
	defer obs.end(&err)
	f, err := threatfeed.New(threatfeed.Params{Name: in.Name, Kind: in.Kind, URL: in.URL, Mode: in.Mode,
		Interval: in.Interval, CreatedAt: uc.Clock.Now()})
	if err != nil {
		return threatfeed.Feed{}, err
	}
	if f.URL() != "" && uc.Guard != nil {
		if err := uc.Guard.Check("url", f.URL()); err != nil {
			return threatfeed.Feed{}, err
		}
	}
	err = uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Feeds.Create(ctx, f, userID(actor)); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.ThreatFeedCreated, Actor: actor,
			TargetType: audit.TargetThreatFeed, TargetID: f.ID(), Details: map[string]any{"after": threatFeedDetails(f)}})
	})
	return f, err
}
