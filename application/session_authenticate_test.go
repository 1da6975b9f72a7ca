package application_test

import (
	"context"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// A login's token authenticates as its user until logout; a malformed
// token is refused. Logging out twice is not_found; an API key cannot log
// out. (Expiry and deactivation are FindActive's, tested against
// PostgreSQL.)
func TestSessionLastsUntilLogout(t *testing.T) {
	t.Parallel()
	ann := newUser(t, "ann@example.com", user.RoleEditor)
	env := newLoginEnv(t, ann)
	env.sessions.users = env.users
	res, err := env.login("ann@example.com", rightPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	authn := application.AuthenticateSession{Sessions: env.sessions, Clock: fixedClock{}}
	ctx := context.Background()
	p, err := authn.Execute(ctx, res.Token)
	if err != nil || p.Actor.ID != ann.ID() || p.Role != user.RoleEditor || p.SessionID.IsZero() {
		t.Fatalf("fresh session: %+v, %v; want Ann as editor with her session", p, err)
	}
	if _, err := authn.Execute(ctx, "egs_not-a-token"); domain.CodeOf(err) != domain.CodeUnauthorized {
		t.Fatalf("malformed token: %v, want unauthorized", err)
	}

	logout := application.Logout{Tx: runInline{}, Sessions: env.sessions, Audit: env.events, Clock: fixedClock{}}
	if err := logout.Execute(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.Execute(ctx, res.Token); domain.CodeOf(err) != domain.CodeUnauthorized {
		t.Fatalf("after logout: %v, want unauthorized", err)
	}
	if len(env.events.ofType(audit.UserLogout)) != 1 {
		t.Fatal("logout was not audited")
	}
	if err := logout.Execute(ctx, p); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("logging out twice: %v, want not_found", err)
	}
	keyPrincipal := application.Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: domain.NewID()}, Role: user.RoleAdmin}
	if err := logout.Execute(ctx, keyPrincipal); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("an API key logging out: %v, want invalid", err)
	}

}

// An admin key acts as an admin, a read key as an auditor, and an agent
// key has no business in the admin API.
func TestPrincipalForAPIKeyMapsScopesToRoles(t *testing.T) {
	t.Parallel()
	for scope, want := range map[string]user.Role{"admin": user.RoleAdmin, "read": user.RoleAuditor} {
		p, err := application.PrincipalForAPIKey(newKey(t, domain.NilID, scope))
		if err != nil || p.Role != want || p.Actor.Type != audit.ActorAPIKey {
			t.Fatalf("%s key: %+v, %v; want %s", scope, p, err, want)
		}
	}
	if _, err := application.PrincipalForAPIKey(newKey(t, domain.NewID(), "agent")); domain.CodeOf(err) != domain.CodeForbidden {
		t.Fatalf("agent key: %v, want forbidden", err)
	}
}
