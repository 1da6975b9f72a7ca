package application_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// A private target is refused together with every other bad field, and
// stores nothing; a created endpoint's audit row (which webhooks receive)
// never carries its signing secret.
func TestCreateWebhookGuardsTheURLAndKeepsTheSecretOutOfTheAudit(t *testing.T) {
	t.Parallel()
	hooks, events := newWebhooks(), &eventsInMemory{}
	uc := application.CreateWebhook{Tx: runInline{}, Hooks: hooks, Guard: &privateHostGuard{}, Secrets: fixedSecret("whsec_topsecret"),
		Audit: events, Clock: fixedClock{}}
	ctx := context.Background()
	_, err := uc.Execute(ctx, someAdmin, application.NewWebhookInput{URL: "https://10.1.2.3/hook", EventTypes: []string{string(audit.UserCreated)}})
	if domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "url") {
		t.Fatalf("private url: %v, want invalid naming url", err)
	}
	_, err = uc.Execute(ctx, someAdmin, application.NewWebhookInput{URL: "http://hooks.example.com", EventTypes: []string{"no.such"}})
	if !hasField(err, "url") || !hasField(err, "event_types[0]") {
		t.Fatalf("two bad fields: %v, want both named", err)
	}
	if hooks.writes != 0 || len(events.events) != 0 {
		t.Fatal("a refused endpoint was stored or audited")
	}
	e, err := uc.Execute(ctx, someAdmin, application.NewWebhookInput{URL: "https://hooks.example.com/x", EventTypes: []string{string(audit.UserCreated)}})
	if err != nil || e.Secret() != "whsec_topsecret" {
		t.Fatalf("creating: %v, secret %q", err, e.Secret())
	}
	if details := fmt.Sprint(events.events[0].Details()); strings.Contains(details, "topsecret") {
		t.Fatalf("audit details carry the secret: %s", details)
	}
}
