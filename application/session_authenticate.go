package application

import (
	"context"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// AuthenticateSession resolves a session token to its user on every
// request, so logging out, expiry and deactivation take effect at once.
type AuthenticateSession struct {
	Sessions SessionRepository
	Clock    Clock
}

var errBadSession = domain.Unauthorized("missing, expired or revoked session token")

// Execute answers the principal behind token. Errors: unauthorized.
func (uc AuthenticateSession) Execute(ctx context.Context, token string) (_ Principal, err error) {
	ctx, obs := observe(ctx, "AuthenticateSession")
	defer obs.end(&err)
	if !IsSessionToken(token) {
		return Principal{}, errBadSession
	}
	s, u, err := uc.Sessions.FindActive(ctx, hashSessionToken(token), uc.Clock.Now())
	if domain.CodeOf(err) == domain.CodeNotFound {
		return Principal{}, errBadSession
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Actor: audit.Actor{Type: audit.ActorUser, ID: u.ID()}, Role: u.Role(), SessionID: s.ID}, nil
}

// PrincipalForAPIKey maps an authenticated key onto a role: scope admin
// acts as an admin, scope read as an auditor (reads everything, changes
// nothing). An agent key has no business in the admin API. Errors: forbidden.
func PrincipalForAPIKey(k apikey.Key) (Principal, error) {
	p := Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: k.ID()}}
	switch {
	case k.HasScope(apikey.ScopeAdmin):
		p.Role = user.RoleAdmin
	case k.HasScope(apikey.ScopeRead):
		p.Role = user.RoleAuditor
	default:
		return Principal{}, domain.Forbidden("this API key has no admin or read scope")
	}
	return p, nil
}
