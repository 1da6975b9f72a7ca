package application_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
)

// A key revoked by another instance whose clock is ahead of this one's is
// refused and audited as revoked; and an audit row that could not be
// written fails its attempt and does not silence the key's next attempt
// for the throttle's whole interval.
func TestAuthenticateAPIKeyAuditsRevocationWhateverTheClock(t *testing.T) {
	t.Parallel()
	secret, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := fixedClock{}.Now()
	key, err := apikey.NewKey(apikey.KeyParams{ID: domain.NewID(), GroupID: domain.NewID(), Secret: secret, Name: "fleet",
		Scopes: []string{"agent"}, CreatedAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	revokedAhead := key.Revoke(now.Add(time.Second)) // the revoking instance's clock runs ahead
	events := &flakyEvents{failures: 1}
	uc := application.NewAuthenticateAPIKey(oneKey{revokedAhead}, noUsage{}, runInline{}, events, fixedClock{}, nil)

	// Audit is fail-closed: the attempt whose row is lost fails with the
	// audit log's error, not as an ordinary refusal.
	if _, err := uc.Execute(context.Background(), secret.String()); err == nil || domain.CodeOf(err) == domain.CodeUnauthorized {
		t.Fatalf("attempt 1: %v, want the audit log's error", err)
	}
	for attempt := 2; attempt <= 3; attempt++ {
		if _, err := uc.Execute(context.Background(), secret.String()); domain.CodeOf(err) != domain.CodeUnauthorized {
			t.Fatalf("attempt %d: %v, want unauthorized", attempt, err)
		}
	}
	// The first write failed; the second attempt is recorded; the third is
	// within the throttle's interval of a recorded one.
	if len(events.events) != 1 {
		t.Fatalf("%d audit rows, want 1 (the first write failed, the third attempt is throttled)", len(events.events))
	}
	if reason := events.events[0].Details()["reason"]; reason != "revoked" {
		t.Fatalf("audited reason %v, want revoked", reason)
	}
}
