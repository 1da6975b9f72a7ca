package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// Re-importing a feed keeps each advisory's first sighting, rewrites what
// changed, and removes what left; the diff says which is which.
func TestReplaceAdvisoriesKeepsFirstSeenAndDiffs(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	feeds := postgres.NewThreatFeedRepository(db)
	f, err := threatfeed.New(threatfeed.Params{Name: "t-" + domain.NewID().String(), Kind: "extguard", Mode: "block", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := feeds.Create(ctx, f, domain.NilID); err != nil {
		t.Fatal(err)
	}
	parse := func(body string) []threatfeed.Entry {
		es, err := threatfeed.Parse(threatfeed.KindExtguard, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c, err := feeds.ReplaceAdvisories(ctx, f.ID(), parse(`{"version":1,"entries":[{"id":"a.one"},{"publisher":"bad"},{"id":"c.three"}]}`), t1)
	if err != nil || len(c.Added) != 3 || len(c.Removed) != 0 {
		t.Fatalf("%+v %v", c, err)
	}
	t2 := t1.Add(time.Hour)
	c, err = feeds.ReplaceAdvisories(ctx, f.ID(), parse(`{"version":1,"entries":[{"id":"a.one","reason":"now with a reason"},{"publisher":"bad"},{"id":"d.four","versions":["1.0.0"]}]}`), t2)
	if err != nil || len(c.Added) != 1 || c.Added[0].Pattern.String() != "d.four" || len(c.Removed) != 1 ||
		c.Removed[0].Pattern.String() != "c.three" || c.Kept != 2 || c.Changed != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	var rows []struct {
		Pattern     string    `bun:"pattern"`
		Reason      string    `bun:"reason"`
		Versions    []string  `bun:"versions,array"`
		FirstSeenAt time.Time `bun:"first_seen_at"`
	}
	if err := db.NewRaw(`SELECT pattern, reason, versions, first_seen_at FROM feed_advisories WHERE feed_id = ? ORDER BY pattern`,
		f.ID().String()).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Pattern != "a.one" || rows[0].Reason != "now with a reason" || !rows[0].FirstSeenAt.Equal(t1) ||
		!rows[1].FirstSeenAt.Equal(t1) || rows[2].Pattern != "d.four" || !rows[2].FirstSeenAt.Equal(t2) || len(rows[2].Versions) != 1 {
		t.Fatalf("%+v", rows)
	}
	if ok, err := feeds.HasAdvisory(ctx, f.ID(), "publisher", "bad"); err != nil || !ok {
		t.Fatal(ok, err)
	}
}
