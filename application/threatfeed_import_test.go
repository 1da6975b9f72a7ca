package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/threatfeed"
)

func importFixture(t *testing.T, mode string) (application.ImportThreatFeed, *feedsInMemory, *eventsInMemory, *invalidations, threatfeed.Feed) {
	t.Helper()
	f, err := threatfeed.New(threatfeed.Params{Name: "VS Code", Kind: "vscode-control", Mode: mode, CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	feeds, events, inv := newFeeds(f), &eventsInMemory{}, &invalidations{}
	g1, g2 := domain.NewID(), domain.NewID()
	exp := exposureOf{"evil.pack": {{GroupID: g1, Agents: 3}}, "badpub": {{GroupID: g1, Agents: 1}, {GroupID: g2, Agents: 2}}}
	uc := application.ImportThreatFeed{Tx: runInline{}, Feeds: feeds, Exposure: exp, Audit: events, Clock: fixedClock{}, Invalidator: inv}
	return uc, feeds, events, inv, f
}

func body(s string) application.FeedContent { return application.FeedContent{Body: []byte(s)} }

func TestImportAppliesWholeFeedsAndAuditsTheExposure(t *testing.T) {
	uc, feeds, events, inv, f := importFixture(t, "block")
	ctx := context.Background()
	res, err := uc.Execute(ctx, someAdmin, f.ID(), body(`{"malicious":["evil.pack","badpub","quiet.one"]}`), application.SourceImport)
	if err != nil || res.Added != 3 || res.Matched != 2 || res.Feed.Status().EntryCount != 3 || inv.all != 1 {
		t.Fatalf("%+v %v, %d invalidations", res, err, inv.all)
	}
	matched := events.ofType(audit.AdvisoryMatched)
	if len(matched) != 1 || len(events.ofType(audit.ThreatFeedImported)) != 1 {
		t.Fatalf("%d advisory.matched", len(matched))
	}
	groups := matched[0].Details()["groups"].([]map[string]any)
	total := 0
	for _, g := range groups {
		total += g["agents"].(int)
	}
	if len(groups) != 2 || total != 6 {
		t.Fatalf("per-group counts %v", groups)
	}

	// The same content again: nothing added or removed, nothing to page or recompile.
	if res, err := uc.Execute(ctx, someAdmin, f.ID(), body(`{"malicious":["evil.pack","badpub","quiet.one"]}`), application.SourceFetch); err != nil ||
		res.Added+res.Removed != 0 || res.Kept != 3 || len(events.ofType(audit.AdvisoryMatched)) != 1 || inv.all != 1 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	// A kept entry changes (here its reference, part of the verdict detail):
	// the policies are recompiled.
	if res, err := uc.Execute(ctx, someAdmin, f.ID(), body(`{"malicious":["evil.pack","badpub","quiet.one"],
		"learnMoreLinks":{"evil.pack":"https://example.com/evil"}}`), application.SourceFetch); err != nil ||
		res.Added+res.Removed != 0 || inv.all != 2 {
		t.Fatalf("changed entry: %+v %v, %d invalidations", res, err, inv.all)
	}
	// An entry leaves: its block is lifted, audited.
	if res, err := uc.Execute(ctx, someAdmin, f.ID(), body(`{"malicious":["badpub","quiet.one"]}`), application.SourceFetch); err != nil ||
		res.Removed != 1 || len(events.ofType(audit.AdvisoryLifted)) != 1 || inv.all != 3 {
		t.Fatalf("removal: %+v %v", res, err)
	}
	// A broken feed changes nothing but its status.
	before := len(events.events)
	if _, err := uc.Execute(ctx, someAdmin, f.ID(), body(`{"malicious":["ok.one","not an id"]}`), application.SourceFetch); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("broken: %v", err)
	}
	st := feeds.feeds[f.ID()].Status()
	if len(feeds.advisories[f.ID()]) != 2 || st.EntryCount != 2 || st.LastError == "" || st.LastSuccessAt.IsZero() ||
		len(events.events) != before || inv.all != 3 {
		t.Fatalf("after a broken feed: %d advisories, status %+v", len(feeds.advisories[f.ID()]), st)
	}
}

func TestAlertFeedsLiftNothing(t *testing.T) {
	uc, _, events, _, f := importFixture(t, "alert")
	ctx := context.Background()
	for _, b := range []string{`{"malicious":["evil.pack"]}`, `{"malicious":[]}`} {
		if _, err := uc.Execute(ctx, someAdmin, f.ID(), body(b), application.SourceImport); err != nil {
			t.Fatal(err)
		}
	}
	if len(events.ofType(audit.AdvisoryLifted)) != 0 || len(events.ofType(audit.AdvisoryMatched)) != 1 {
		t.Fatal("an alert feed lifted a block it never had")
	}
}

// fetcherOf answers one scripted result.
type fetcherOf struct {
	content application.FeedContent
	err     error
	asked   []string
}

func (f *fetcherOf) Fetch(_ context.Context, url, etag, _ string) (application.FeedContent, error) {
	f.asked = append(f.asked, url+" "+etag)
	return f.content, f.err
}

func TestFetchRecordsFailuresAndConditionalAnswers(t *testing.T) {
	uc, feeds, _, _, _ := importFixture(t, "block")
	f, _ := threatfeed.New(threatfeed.Params{Name: "remote", Kind: "vscode-control", Mode: "block", URL: "https://feeds.example.com/m.json",
		CreatedAt: fixedClock{}.Now()})
	feeds.feeds[f.ID()] = f
	fetcher := &fetcherOf{err: domain.Unavailable("feed server answered 502")}
	fetch := application.FetchThreatFeeds{Feeds: feeds, Fetcher: fetcher, Import: uc, Clock: fixedClock{}}
	ctx := context.Background()
	if res, err := fetch.Execute(ctx); err != nil || res.Failed != 1 || feeds.feeds[f.ID()].Status().LastError != "feed server answered 502" {
		t.Fatalf("%+v %v %+v", res, err, feeds.feeds[f.ID()].Status())
	}
	// Not due again within its interval.
	if res, _ := fetch.Execute(ctx); res != (application.FetchResult{}) || len(fetcher.asked) != 1 {
		t.Fatalf("fetched again at once: %+v", res)
	}
	// Due again: content arrives and is imported with its validators.
	feeds.SetStatus(ctx, f.ID(), threatfeed.Status{}, fixedClock{}.Now())
	fetcher.err, fetcher.content = nil, application.FeedContent{Body: []byte(`{"malicious":["evil.pack"]}`), ETag: `"v1"`}
	if res, err := fetch.Execute(ctx); err != nil || res.Fetched != 1 || feeds.feeds[f.ID()].Status().ETag != `"v1"` {
		t.Fatalf("%+v %v", res, err)
	}
}
