package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/redis"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// loginFrom logs in through the use case from ip and answers the error's
// code ("" for a session).
func loginFrom(t *testing.T, uc *application.Login, email, password, ip string) domain.Code {
	t.Helper()
	_, err := uc.Execute(context.Background(), email, password, audit.Actor{ClientIP: ip, UserAgent: "login-limits-test"})
	switch code := domain.CodeOf(err); {
	case err == nil:
		return ""
	case code == domain.CodeUnauthorized || code == domain.CodeRateLimited:
		return code
	default:
		t.Fatalf("login from %s: %v", ip, err)
		return code
	}
}

// TestOneAddressCannotLockAnAdminOut: failures for an account from one
// address are limited for that address only, so 1,000 wrong passwords for
// an admin from 127.0.0.2 (fired through the use case, on the limiter in
// Redis) do not stop the right password from 127.0.0.3; successful logins
// count for nothing.
func TestOneAddressCannotLockAnAdminOut(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.newUser(user.RoleAdmin)
	for range 2 * application.LoginFailuresPerAccountAndAddress {
		if code := loginFrom(t, e.uc.Login, admin.Email(), testPassword, "127.0.0.3"); code != "" {
			t.Fatalf("a successful login was refused (%s): successes must not count", code)
		}
	}
	checked := 0
	for range 1000 {
		if loginFrom(t, e.uc.Login, admin.Email(), "wrong password!!", "127.0.0.2") == domain.CodeUnauthorized {
			checked++
		}
	}
	if checked > application.LoginFailuresPerAccountAndAddress {
		t.Fatalf("%d of 1,000 wrong passwords from one address were verified, want at most %d", checked, application.LoginFailuresPerAccountAndAddress)
	}
	if code := loginFrom(t, e.uc.Login, admin.Email(), testPassword, "127.0.0.2"); code != domain.CodeRateLimited {
		t.Fatalf("the guessing address itself got %q with the right password, want rate_limited", code)
	}
	if code := loginFrom(t, e.uc.Login, admin.Email(), testPassword, "127.0.0.3"); code != "" {
		t.Fatalf("the admin at 127.0.0.3 was locked out by 127.0.0.2's failures: %s", code)
	}
}

// TestSprayingAccountsFromOneAddressIsThrottled: one wrong password for each
// of 100 accounts from one address stops at the per-address limit.
func TestSprayingAccountsFromOneAddressIsThrottled(t *testing.T) {
	e := newAdminEnv(t)
	const ip = "127.0.0.4"
	window := time.Now().Truncate(application.LoginWindow)
	checked := 0
	for i := range 100 {
		email := "sprayed-" + strconv.Itoa(i) + "-" + uniqueName("x") + "@example.com"
		if loginFrom(t, e.uc.Login, email, "Winter2026!!!!", ip) == domain.CodeUnauthorized {
			checked++
		}
	}
	limit := application.LoginFailuresPerAddress
	if !time.Now().Truncate(application.LoginWindow).Equal(window) {
		limit *= 2 // the test straddled two windows
	}
	if checked > limit || checked == 0 {
		t.Fatalf("%d of 100 sprayed accounts were tried, want 1 to %d", checked, limit)
	}
	u := e.newUser(user.RoleAdmin)
	if code := loginFrom(t, e.uc.Login, u.Email(), testPassword, ip); code != domain.CodeRateLimited {
		t.Fatalf("the spraying address got %q, want rate_limited", code)
	}
}

// TestIPv6AddressesCountPerSlash64: a host holding a /64 cannot spray from
// a fresh address every time; its addresses count as one.
func TestIPv6AddressesCountPerSlash64(t *testing.T) {
	e := newAdminEnv(t)
	for i := range application.LoginFailuresPerAddress {
		ip := "2001:db8:0:7::" + strconv.FormatInt(int64(i+1), 16)
		if code := loginFrom(t, e.uc.Login, uniqueName("v6")+"@example.com", "Winter2026!!!!", ip); code != domain.CodeUnauthorized {
			t.Fatalf("failure %d from %s: %s, want unauthorized", i+1, ip, code)
		}
	}
	if code := loginFrom(t, e.uc.Login, uniqueName("v6")+"@example.com", "Winter2026!!!!", "2001:db8:0:7:ffff::1"); code != domain.CodeRateLimited {
		t.Fatalf("a fresh address of the same /64 got %q, want rate_limited", code)
	}
	if code := loginFrom(t, e.uc.Login, e.newUser(user.RoleAdmin).Email(), testPassword, "2001:db8:0:8::1"); code != "" {
		t.Fatalf("the next /64 was refused: %s", code)
	}
}

// TestAGuessingCampaignSlowsEveryAddressWithoutLockingTheAccount: past the
// loose per-account limit (failures from many addresses), an address that
// has failed for the account is refused at once, while an address that has
// not gets its attempt, so the right password still logs in.
func TestAGuessingCampaignSlowsEveryAddressWithoutLockingTheAccount(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.newUser(user.RoleAdmin)
	ips := func(i int) string { return "198.51.100." + strconv.Itoa(i) }
	for i := range application.LoginFailuresPerAccount {
		loginFrom(t, e.uc.Login, admin.Email(), "wrong password!!", ips(i%200+1))
	}
	if code := loginFrom(t, e.uc.Login, admin.Email(), "wrong password!!", ips(1)); code != domain.CodeRateLimited {
		t.Fatalf("an address that has failed during a campaign got %q, want rate_limited", code)
	}
	if code := loginFrom(t, e.uc.Login, admin.Email(), testPassword, ips(250)); code != "" {
		t.Fatalf("the admin from a fresh address was locked out by the campaign: %s", code)
	}
}

// TestLoginLimitsHoldWhileRedisIsDown: with Redis unreachable the agent
// limits fail open, but the login limits go on counting in the instance.
func TestLoginLimitsHoldWhileRedisIsDown(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.newUser(user.RoleAdmin)
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	limiter := redis.NewRateLimiter(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	limiter.Sync(context.Background()) // learns Redis is unreachable
	uc, err := application.NewLogin(application.Login{Tx: postgres.NewTxRunner(e.db), Users: postgres.NewUserRepository(e.db),
		Sessions: postgres.NewSessionRepository(e.db), Hasher: e.uc.Login.Hasher, Limiter: limiter,
		Audit: postgres.NewAuditLog(e.db), Clock: application.SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	for range application.LoginFailuresPerAccountAndAddress {
		loginFrom(t, uc, admin.Email(), "wrong password!!", "127.0.0.5")
	}
	limiter.Sync(context.Background()) // cannot push: the counts stay here
	if code := loginFrom(t, uc, admin.Email(), testPassword, "127.0.0.5"); code != domain.CodeRateLimited {
		t.Fatalf("with Redis down the guessing address got %q after %d failures, want rate_limited: the limit failed open",
			code, application.LoginFailuresPerAccountAndAddress)
	}
	if code := loginFrom(t, uc, admin.Email(), testPassword, "127.0.0.6"); code != "" {
		t.Fatalf("with Redis down another address was refused: %s", code)
	}
	if ok, _ := limiter.Allow(context.Background(), application.RateSubject{Kind: "agent", ID: domain.NewID()}, 1, time.Minute); !ok || limiter.FailOpens() == 0 {
		t.Fatal("the agent limits should still fail open while Redis is down")
	}
}
