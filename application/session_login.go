package application

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// SessionTTL is how long an admin session lasts (EXTGUARD_SESSION_TTL).
type SessionTTL time.Duration

// Login checks an email and password and opens a session. Every failure
// reads the same ("invalid email or password") and costs one password
// verification, for unknown emails too (against a dummy hash), so neither
// the answer nor its timing tells which accounts exist.
type Login struct {
	Tx       Transactor
	Users    UserAccounts
	Sessions SessionRepository
	Hasher   PasswordHasher
	Limiter  LoginLimiter
	Audit    AuditLog
	Clock    Clock
	TTL      SessionTTL

	dummyHash string
}

// NewLogin builds the use case and the dummy hash unknown emails are
// verified against.
func NewLogin(l Login) (*Login, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h, err := l.Hasher.Hash(hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	l.dummyHash = h
	if l.TTL <= 0 {
		l.TTL = SessionTTL(12 * time.Hour)
	}
	return &l, nil
}

// LoginResult is the opened session: the token is shown once.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      user.User
}

var errBadCredentials = domain.Unauthorized("invalid email or password")

// errCredentialsChanged: the user was deactivated or got a new password
// between the password check and the session's creation.
var errCredentialsChanged = errors.New("credentials changed during login")

// Execute logs in; client carries the caller's IP and user agent.
func (uc *Login) Execute(ctx context.Context, email, password string, client audit.Actor) (_ LoginResult, err error) {
	ctx, obs := observe(ctx, "Login")
	defer obs.end(&err)
	var fe domain.FieldErrors
	if strings.TrimSpace(email) == "" {
		fe.Add("email", "is required")
	}
	if password == "" {
		fe.Add("password", "is required")
	}
	if len(password) > 4*user.MaxPasswordLength {
		fe.Add("password", "is too long")
	}
	if err := fe.Err("invalid login"); err != nil {
		return LoginResult{}, err
	}
	limits := loginSubjectsOf(email, client.ClientIP)
	if err := uc.throttle(ctx, limits); err != nil {
		return LoginResult{}, err
	}
	u, ok, err := uc.check(ctx, email, password)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		uc.countFailure(ctx, limits)
		return LoginResult{}, uc.recordFailure(ctx, u, email, client)
	}
	res, err := uc.open(ctx, u, client)
	if errors.Is(err, errCredentialsChanged) {
		return LoginResult{}, uc.recordFailure(ctx, u, email, client)
	}
	return res, err
}

// Failed logins allowed in a LoginWindow. Only failures count, so a
// successful login costs nothing and nobody can use up an admin's quota by
// logging in. The limits:
//   - per account and client address, tightly: LoginFailuresPerAccountAndAddress;
//     one address cannot lock an account for the others, however often it fails;
//   - per client address across accounts: LoginFailuresPerAddress stops one
//     address spraying a password over many accounts;
//   - per account, loosely: past LoginFailuresPerAccount (a guessing campaign
//     from many addresses), each address gets one failure for that account
//     per window instead of ten. That divides a botnet's guessing rate by ten
//     without locking the account: an admin typing the right password from
//     an address that has not failed still logs in.
const (
	LoginFailuresPerAccountAndAddress = 10
	LoginFailuresPerAddress           = 30
	LoginFailuresPerAccount           = 100
	LoginWindow                       = 15 * time.Minute
)

// loginSubjects are the counters of one login attempt.
type loginSubjects struct{ pair, account, address RateSubject }

func loginSubjectsOf(email, clientIP string) loginSubjects {
	// Longer strings are no account; truncated, they still count somewhere.
	account := truncateText(strings.ToLower(strings.TrimSpace(email)), user.MaxEmailLength)
	ip := loginAddress(clientIP)
	return loginSubjects{
		pair:    RateSubject{Kind: "login:account-address", Name: account + " " + ip},
		account: RateSubject{Kind: "login:account", Name: account},
		address: RateSubject{Kind: "login:address", Name: ip},
	}
}

// loginAddress is the address a login limit counts: an IPv4 address, or
// the /64 of an IPv6 one, since a single host commonly holds a whole /64
// and could otherwise try from a fresh address every time.
func loginAddress(clientIP string) string {
	a, err := netip.ParseAddr(clientIP)
	switch {
	case err != nil:
		return clientIP
	case a.Is4() || a.Is4In6():
		return a.Unmap().String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// throttle refuses an attempt, before its password is verified, when one
// of the failure limits is reached (see LoginFailuresPerAccountAndAddress).
// The limiter never fails open for logins (LoginLimiter).
func (uc *Login) throttle(ctx context.Context, s loginSubjects) error {
	reached, wait := uc.Limiter.Reached(ctx, s.address, LoginFailuresPerAddress, LoginWindow)
	if !reached {
		reached, wait = uc.Limiter.Reached(ctx, s.pair, LoginFailuresPerAccountAndAddress, LoginWindow)
	}
	if !reached {
		if campaign, _ := uc.Limiter.Reached(ctx, s.account, LoginFailuresPerAccount, LoginWindow); campaign {
			reached, wait = uc.Limiter.Reached(ctx, s.pair, 1, LoginWindow)
		}
	}
	if reached {
		return rateLimited("too many failed logins; try again in "+wait.Round(time.Second).String(), wait)
	}
	return nil
}

// countFailure counts a failed login against each of its limits.
func (uc *Login) countFailure(ctx context.Context, s loginSubjects) {
	uc.Limiter.Count(ctx, s.pair, LoginFailuresPerAccountAndAddress, LoginWindow)
	uc.Limiter.Count(ctx, s.account, LoginFailuresPerAccount, LoginWindow)
	uc.Limiter.Count(ctx, s.address, LoginFailuresPerAddress, LoginWindow)
}

// check verifies the password; ok is false for unknown, inactive or wrong.
func (uc *Login) check(ctx context.Context, email, password string) (user.User, bool, error) {
	u, err := uc.find(ctx, email)
	if err != nil {
		return user.User{}, false, err
	}
	hash := u.PasswordHash()
	if u.ID().IsZero() {
		hash = uc.dummyHash
	}
	good, err := uc.Hasher.Verify(password, hash)
	if err != nil {
		return user.User{}, false, err
	}
	return u, good && !u.ID().IsZero() && u.IsActive(), nil
}

// find answers the zero user for an unknown or malformed email.
func (uc *Login) find(ctx context.Context, email string) (user.User, error) {
	addr, err := user.ParseEmail(email)
	if err != nil {
		return user.User{}, nil
	}
	u, err := uc.Users.FindByEmail(ctx, addr)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return user.User{}, nil
	}
	return u, err
}

func (uc *Login) recordFailure(ctx context.Context, u user.User, email string, client audit.Actor) error {
	actor := client
	actor.Type, actor.ID = audit.ActorUser, u.ID()
	reason := "bad credentials"
	if !u.ID().IsZero() && !u.IsActive() {
		reason = "user deactivated"
	}
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserLoginFailed, Actor: actor,
			TargetType: audit.TargetUser, TargetID: u.ID(),
			Details: map[string]any{"email": truncateText(strings.TrimSpace(email), user.MaxEmailLength), "reason": reason}})
	})
	if err != nil {
		// Fail closed: a guess whose row is lost is not answered as a mere
		// wrong password, or guessing could go unseen.
		return err
	}
	return errBadCredentials
}

func (uc *Login) open(ctx context.Context, u user.User, client audit.Actor) (LoginResult, error) {
	now := uc.Clock.Now()
	token := newSessionToken()
	s := Session{ID: domain.NewID(), UserID: u.ID(), TokenHash: hashSessionToken(token), ClientIP: client.ClientIP,
		UserAgent: client.UserAgent, CreatedAt: now, ExpiresAt: now.Add(time.Duration(uc.TTL))}
	actor := client
	actor.Type, actor.ID = audit.ActorUser, u.ID()
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		// The user is locked before the session exists: a deactivation or
		// password change committed since the check refuses the login, and
		// one still running revokes this session after the commit.
		var err error
		u, err = uc.Users.Update(ctx, u.ID(), func(current user.User) (user.User, error) {
			if !current.IsActive() || subtle.ConstantTimeCompare([]byte(current.PasswordHash()), []byte(u.PasswordHash())) != 1 {
				return current, errCredentialsChanged
			}
			return current.RecordLogin(now), nil
		})
		if err != nil {
			return err
		}
		if err := uc.Sessions.Create(ctx, s); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, uc.Clock, audit.EventParams{Type: audit.UserLogin, Actor: actor,
			TargetType: audit.TargetUser, TargetID: u.ID(),
			Details: map[string]any{"session_id": s.ID.String(), "expires_at": s.ExpiresAt.Format(time.RFC3339)}})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, ExpiresAt: s.ExpiresAt, User: u}, nil
}

func truncateText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}
