package application_test

import (
	"context"
	"reflect"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/threatfeed"
)

// feedsInMemory is the ThreatFeedRepository: one feed's advisories by key.
// The methods it lacks (list, delete, suppressions) panic.
type feedsInMemory struct {
	application.ThreatFeedRepository
	feeds      map[domain.ID]threatfeed.Feed
	advisories map[domain.ID]map[string]threatfeed.Entry
	statuses   int
}

func newFeeds(fs ...threatfeed.Feed) *feedsInMemory {
	m := &feedsInMemory{feeds: map[domain.ID]threatfeed.Feed{}, advisories: map[domain.ID]map[string]threatfeed.Entry{}}
	for _, f := range fs {
		m.feeds[f.ID()] = f
	}
	return m
}

func (m *feedsInMemory) Create(_ context.Context, f threatfeed.Feed, _ domain.ID) error {
	m.feeds[f.ID()] = f
	return nil
}

func (m *feedsInMemory) Get(_ context.Context, id domain.ID) (threatfeed.Feed, error) {
	f, ok := m.feeds[id]
	if !ok {
		return f, errNoRow
	}
	return f, nil
}

func (m *feedsInMemory) Lock(ctx context.Context, id domain.ID) (threatfeed.Feed, error) {
	return m.Get(ctx, id)
}

func (m *feedsInMemory) Fetched(context.Context) ([]threatfeed.Feed, error) {
	var out []threatfeed.Feed
	for _, f := range m.feeds {
		if f.URL() != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *feedsInMemory) SetStatus(_ context.Context, id domain.ID, s threatfeed.Status, _ time.Time) error {
	f := m.feeds[id]
	m.feeds[id] = threatfeed.Rehydrate(threatfeed.Params{ID: f.ID(), Name: f.Name(), Kind: string(f.Kind()), URL: f.URL(),
		Mode: string(f.Mode()), Interval: f.Interval(), Status: s, CreatedAt: f.CreatedAt()})
	m.statuses++
	return nil
}

func (m *feedsInMemory) ReplaceAdvisories(_ context.Context, id domain.ID, es []threatfeed.Entry, _ time.Time) (application.AdvisoryChange, error) {
	var c application.AdvisoryChange
	old, next := m.advisories[id], map[string]threatfeed.Entry{}
	for _, e := range es {
		next[e.Key()] = e
		if prev, ok := old[e.Key()]; ok {
			c.Kept++
			if !reflect.DeepEqual(prev, e) {
				c.Changed++
			}
		} else {
			c.Added = append(c.Added, e)
		}
	}
	for k, e := range old {
		if _, ok := next[k]; !ok {
			c.Removed = append(c.Removed, e)
		}
	}
	m.advisories[id] = next
	return c, nil
}

// exposureOf answers fixed counts for the ids it knows.
type exposureOf map[string][]application.GroupCount

func (x exposureOf) Exposure(_ context.Context, es []threatfeed.Entry) ([]application.AdvisoryExposure, error) {
	var out []application.AdvisoryExposure
	for _, e := range es {
		if gs, ok := x[e.Pattern.String()]; ok {
			n := 0
			for _, g := range gs {
				n += g.Agents
			}
			out = append(out, application.AdvisoryExposure{Entry: e, Groups: gs, Agents: n})
		}
	}
	return out, nil
}
