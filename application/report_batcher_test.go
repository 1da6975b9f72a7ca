package application_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/report"
)

// recordingStore stands in for PostgreSQL in these unit tests of the group
// commit's own logic (the SQL is tested against PostgreSQL in adapters).
type recordingStore struct {
	mu      sync.Mutex
	waiting int // reports in calls held at the gate
	largest int // the most reports one call was given
	batches [][]application.StoredReport
	refuse  domain.ID // a report of this agent fails its batch
	gate    chan struct{}
}

func (s *recordingStore) StoreReports(_ context.Context, b []application.StoredReport) error {
	if s.gate != nil {
		s.mu.Lock()
		s.waiting += len(b)
		s.mu.Unlock()
		<-s.gate
	}
	s.mu.Lock()
	s.largest = max(s.largest, len(b))
	s.mu.Unlock()
	for _, r := range b {
		if r.AgentID == s.refuse {
			return errors.New("refused")
		}
	}
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	return nil
}

func (s *recordingStore) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

func someReport(t *testing.T, agentID domain.ID) application.StoredReport {
	r, err := report.NewReport(report.ReportParams{ReportedAt: time.Now(), Items: []report.ItemParams{
		{ExtensionID: "a.b", Installed: true, Version: "1.0.0", Editor: "vscode"}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return application.StoredReport{AgentID: agentID, Report: r}
}

func TestReportBatcherGathersConcurrentReportsAndIsolatesARefusedOne(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	store := &recordingStore{refuse: domain.NewID(), gate: gate}
	b := application.NewReportBatcher(store, nil, application.ReportBatchConfig{Queue: 100, MaxRows: 1000, Committers: 1, Timeout: time.Second})
	defer b.Close()
	errs := make([]error, 21)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := domain.NewID()
			if i == 20 {
				id = store.refuse
			}
			errs[i] = b.Submit(context.Background(), someReport(t, id))
		}()
	}
	// Wait (not sleep) until every report is either held in the first batch
	// or queued behind it, so a loaded machine cannot make the test see a
	// half-formed queue.
	for deadline := time.Now().Add(10 * time.Second); store.held()+b.Queued() < len(errs); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			close(gate)
			t.Fatalf("only %d reports held or queued of %d", store.held()+b.Queued(), len(errs))
		}
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if (i == 20) != (err != nil) {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	if domain.CodeOf(errs[20]) != domain.CodeUnavailable {
		t.Fatalf("the refused report: %v", errs[20])
	}
	// The first batch takes what was queued when the committer woke; the
	// rest wait behind it and share the next batch (which the refused one
	// makes fail and retry one by one). Two batches of 21 hold 11 in one.
	if store.largest < 10 {
		t.Fatalf("the largest batch held %d of 21 concurrent reports; the group commit did not gather them", store.largest)
	}
}

func TestReportBatcherAnswers429WhenFullAndRefusesAfterClose(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	b := application.NewReportBatcher(&recordingStore{gate: gate}, nil, application.ReportBatchConfig{Queue: 1, MaxRows: 1, Committers: 1, Timeout: time.Second})
	go func() { _ = b.Submit(context.Background(), someReport(t, domain.NewID())) }() // taken by the committer
	time.Sleep(50 * time.Millisecond)
	go func() { _ = b.Submit(context.Background(), someReport(t, domain.NewID())) }() // fills the queue
	time.Sleep(50 * time.Millisecond)
	err := b.Submit(context.Background(), someReport(t, domain.NewID()))
	var rl *application.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("full queue: %v", err)
	}
	close(gate)
	b.Close()
	if err := b.Submit(context.Background(), someReport(t, domain.NewID())); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Fatalf("after close: %v", err)
	}
}

// A committer that finds a small batch waits up to GatherDelay for more:
// reports arriving a few milliseconds apart share one transaction, and a
// lone report is still committed once the delay has passed.
func TestReportBatcherGathersSmallBatchesForAMoment(t *testing.T) {
	t.Parallel()
	store := &recordingStore{}
	b := application.NewReportBatcher(store, nil, application.ReportBatchConfig{Queue: 16, MaxRows: 1000, Committers: 1,
		Timeout: time.Second, GatherDelay: time.Second, GatherReports: 3})
	defer b.Close()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Submit(context.Background(), someReport(t, domain.NewID())); err != nil {
				t.Error(err)
			}
		}()
		if i < 2 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Wait()
	store.mu.Lock()
	batches := len(store.batches)
	store.mu.Unlock()
	if batches != 1 {
		t.Fatalf("three reports 20 ms apart went into %d batches, want 1", batches)
	}

	start := time.Now()
	if err := b.Submit(context.Background(), someReport(t, domain.NewID())); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond || waited > 10*time.Second {
		t.Fatalf("a lone report was committed after %s, want about the gather delay (1 s)", waited)
	}
}
