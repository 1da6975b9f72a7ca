package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

const rightPassword = "correct horse battery" // newUser's

type loginEnv struct {
	users    *usersInMemory
	sessions *sessionsInMemory
	hasher   *plainHasher
	limiter  *limiterInMemory
	events   *flakyEvents
	uc       *application.Login
}

func newLoginEnv(t *testing.T, us ...user.User) *loginEnv {
	t.Helper()
	e := &loginEnv{users: newUsers(us...), sessions: &sessionsInMemory{}, hasher: &plainHasher{},
		limiter: &limiterInMemory{}, events: &flakyEvents{}}
	uc, err := application.NewLogin(application.Login{Tx: runInline{}, Users: e.users, Sessions: e.sessions,
		Hasher: e.hasher, Limiter: e.limiter, Audit: e.events, Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	e.uc = uc
	return e
}

func (e *loginEnv) login(email, password, ip string) (application.LoginResult, error) {
	return e.uc.Execute(context.Background(), email, password, audit.Actor{ClientIP: ip, UserAgent: "test"})
}

// A right password opens one session, audited, and records the login.
func TestLoginOpensASession(t *testing.T) {
	t.Parallel()
	u := newUser(t, "ann@example.com", user.RoleEditor)
	env := newLoginEnv(t, u)
	res, err := env.login("Ann@Example.com", rightPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Token == "" || env.sessions.of(u.ID()) != 1 || res.ExpiresAt.IsZero() {
		t.Fatalf("result %+v, %d sessions; want a token and one session", res, env.sessions.of(u.ID()))
	}
	if env.sessions.open[0].TokenHash == res.Token {
		t.Fatal("the session stores the token itself, not its hash")
	}
	if len(env.events.ofType(audit.UserLogin)) != 1 || env.users.rows[u.ID()].LastLoginAt().IsZero() {
		t.Fatalf("audit %v, last login %v; want a user.login row and the login recorded", env.events.events, env.users.rows[u.ID()].LastLoginAt())
	}
	if len(env.limiter.counts) != 0 {
		t.Fatalf("a successful login counted %v against the limits", env.limiter.counts)
	}
}

// Unknown, malformed, deactivated and wrong all answer the same error and
// each costs exactly one password verification, so neither the answer nor
// its timing tells which accounts exist. Each is audited with its reason.
func TestLoginFailuresReadAlikeAndCostOneVerification(t *testing.T) {
	t.Parallel()
	inactive := newUser(t, "gone@example.com", user.RoleEditor)
	inactive, err := inactive.WithChanges(user.UserPatch{IsActive: ptr(false), At: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, email, password, reason string }{
		{"wrong password", "ann@example.com", "not the password", "bad credentials"},
		{"unknown email", "nobody@example.com", rightPassword, "bad credentials"},
		{"malformed email", "not an email", rightPassword, "bad credentials"},
		{"deactivated", "gone@example.com", rightPassword, "user deactivated"},
	}
	var first string
	for _, c := range cases {
		env := newLoginEnv(t, newUser(t, "ann@example.com", user.RoleEditor), inactive)
		_, err := env.login(c.email, c.password, "192.0.2.1")
		if domain.CodeOf(err) != domain.CodeUnauthorized {
			t.Fatalf("%s: %v, want unauthorized", c.name, err)
		}
		if first == "" {
			first = err.Error()
		} else if err.Error() != first {
			t.Fatalf("%s answers %q, the others %q", c.name, err, first)
		}
		if env.hasher.verified != 1 {
			t.Fatalf("%s cost %d verifications, want 1", c.name, env.hasher.verified)
		}
		rows := env.events.ofType(audit.UserLoginFailed)
		if len(rows) != 1 || rows[0].Details()["reason"] != c.reason || len(env.sessions.open) != 0 {
			t.Fatalf("%s: audit %v, %d sessions; want one login_failed row with reason %q", c.name, env.events.events, len(env.sessions.open), c.reason)
		}
	}
}

// After LoginFailuresPerAccountAndAddress failures one address is refused
// for that account, even with the right password and before it is
// verified; another address still logs in. IPv6 addresses count per /64.
func TestLoginLimitsFailuresPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	for _, ips := range [][2]string{{"192.0.2.1", "192.0.2.1"}, {"2001:db8::1", "2001:db8::ffff"}} {
		env := newLoginEnv(t, newUser(t, "ann@example.com", user.RoleEditor))
		for i := range application.LoginFailuresPerAccountAndAddress {
			if _, err := env.login("ann@example.com", "wrong guess", ips[i%2]); domain.CodeOf(err) != domain.CodeUnauthorized {
				t.Fatalf("failure %d from %v: %v", i, ips, err)
			}
		}
		verified := env.hasher.verified
		_, err := env.login("ann@example.com", rightPassword, ips[1])
		var limited *application.RateLimitedError
		if domain.CodeOf(err) != domain.CodeRateLimited || !errors.As(err, &limited) || limited.RetryAfter <= 0 {
			t.Fatalf("after %d failures from %v: %v, want rate_limited with a retry time", application.LoginFailuresPerAccountAndAddress, ips, err)
		}
		if env.hasher.verified != verified {
			t.Fatal("a throttled attempt had its password verified")
		}
		if _, err := env.login("ann@example.com", rightPassword, "198.51.100.7"); err != nil {
			t.Fatalf("another address is locked out too: %v", err)
		}
	}
}

// One address spraying over many accounts is stopped at
// LoginFailuresPerAddress, for accounts it never tried as well.
func TestLoginLimitsFailuresPerAddress(t *testing.T) {
	t.Parallel()
	env := newLoginEnv(t, newUser(t, "ann@example.com", user.RoleEditor))
	for i := range application.LoginFailuresPerAddress {
		email := "user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com"
		if _, err := env.login(email, "guess", "192.0.2.9"); domain.CodeOf(err) != domain.CodeUnauthorized {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := env.login("ann@example.com", rightPassword, "192.0.2.9"); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("the spraying address: %v, want rate_limited", err)
	}
}

// Past LoginFailuresPerAccount (a campaign from many addresses) each address
// gets one failure for the account, yet the account is not locked: an
// address that has not failed still logs in.
func TestLoginCampaignAgainstOneAccountAllowsOneFailurePerAddress(t *testing.T) {
	t.Parallel()
	env := newLoginEnv(t, newUser(t, "ann@example.com", user.RoleEditor))
	account := application.RateSubject{Kind: "login:account", Name: "ann@example.com"}
	env.limiter.counts = map[application.RateSubject]int{account: application.LoginFailuresPerAccount}
	if _, err := env.login("ann@example.com", "guess", "192.0.2.1"); domain.CodeOf(err) != domain.CodeUnauthorized {
		t.Fatalf("first failure during a campaign: %v", err)
	}
	if _, err := env.login("ann@example.com", rightPassword, "192.0.2.1"); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Fatalf("second attempt from a failed address during a campaign: %v, want rate_limited", err)
	}
	if _, err := env.login("ann@example.com", rightPassword, "192.0.2.2"); err != nil {
		t.Fatalf("an address without failures during a campaign: %v", err)
	}
}

// Audit is fail-closed: a failed login whose row is lost answers the audit
// log's error, not "invalid email or password". Missing fields are invalid
// and named, before anything is counted or verified.
func TestLoginErrors(t *testing.T) {
	t.Parallel()
	env := newLoginEnv(t, newUser(t, "ann@example.com", user.RoleEditor))
	env.events.failures = 1
	if _, err := env.login("ann@example.com", "guess", "192.0.2.1"); err == nil || domain.CodeOf(err) == domain.CodeUnauthorized {
		t.Fatalf("lost audit row: %v, want the audit log's error", err)
	}
	verified := env.hasher.verified
	_, err := env.login(" ", "", "192.0.2.1")
	if domain.CodeOf(err) != domain.CodeInvalid || !hasField(err, "email") || !hasField(err, "password") {
		t.Fatalf("empty login: %v, want invalid naming email and password", err)
	}
	if env.hasher.verified != verified {
		t.Fatal("an invalid login was verified")
	}
}
