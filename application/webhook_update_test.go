package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/webhook"
)

func newEndpoint(t *testing.T) webhook.Endpoint {
	t.Helper()
	e, err := webhook.NewEndpoint(webhook.EndpointParams{ID: domain.NewID(), URL: "https://hooks.example.com/extguard",
		Secret: "whsec_test", EventTypes: []string{string(audit.UserCreated)}, CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The guard judges a new URL on the patched endpoint: a private one is
// invalid under url and stores nothing; a change that leaves the URL alone
// (re-enabling an endpoint) is not judged again, and is audited.
func TestUpdateWebhookGuardsANewURL(t *testing.T) {
	t.Parallel()
	hook := newEndpoint(t)
	hooks, guard, events := newWebhooks(hook), &privateHostGuard{}, &eventsInMemory{}
	uc := application.UpdateWebhook{Tx: runInline{}, Hooks: hooks, Guard: guard, Audit: events, Clock: fixedClock{}}
	ctx := context.Background()
	_, err := uc.Execute(ctx, someAdmin, hook.ID(), application.WebhookChanges{URL: ptr("https://localhost:8443/hook")})
	if domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "url") {
		t.Fatalf("private url: %v, want invalid naming url", err)
	}
	if hooks.writes != 0 || len(events.events) != 0 {
		t.Fatalf("refused update wrote %d rows and %d audit rows", hooks.writes, len(events.events))
	}
	got, err := uc.Execute(ctx, someAdmin, hook.ID(), application.WebhookChanges{IsEnabled: ptr(false)})
	if err != nil || got.IsEnabled() || len(guard.checked) != 1 {
		t.Fatalf("disabling: %v, enabled %v, guard asked %v; want disabled and the guard asked only about the private URL", err, got.IsEnabled(), guard.checked)
	}
	if len(events.ofType(audit.WebhookUpdated)) != 1 {
		t.Fatalf("%d webhook.updated rows, want 1", len(events.events))
	}
	if _, err := uc.Execute(ctx, someAdmin, domain.NewID(), application.WebhookChanges{IsEnabled: ptr(true)}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown endpoint: %v, want not_found", err)
	}
	if _, err := uc.Execute(ctx, someAdmin, hook.ID(), application.WebhookChanges{EventTypes: &[]string{"no.such"}}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("unknown event type: %v, want invalid", err)
	}
}
