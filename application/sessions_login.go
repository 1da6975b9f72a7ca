package application

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	Limiter  RateLimiter
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
	if err := uc.throttle(ctx, email, client.ClientIP); err != nil {
		return LoginResult{}, err
	}
	u, ok, err := uc.check(ctx, email, password)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		return LoginResult{}, uc.recordFailure(ctx, u, email, client)
	}
	return uc.open(ctx, u, client)
}

// Login attempts allowed per account and per client address in a window.
// Every attempt counts, not only failures, so the limiter needs no second
// round trip; an admin does not log in ten times in fifteen minutes.
const (
	LoginAttemptsPerAccount = 10
	LoginAttemptsPerAddress = 100
	LoginWindow             = 15 * time.Minute
)

// throttle slows password guessing against one account (from many
// addresses) and from one address (against many accounts). The limiter is
// shared through Redis and fails open, so a Redis outage never locks admins out.
func (uc *Login) throttle(ctx context.Context, email, ip string) error {
	account := RateSubject{Kind: "login:account", Name: strings.ToLower(strings.TrimSpace(email))}
	ok, wait := uc.Limiter.Allow(ctx, account, LoginAttemptsPerAccount, LoginWindow)
	if ok {
		ok, wait = uc.Limiter.Allow(ctx, RateSubject{Kind: "login:address", Name: ip}, LoginAttemptsPerAddress, LoginWindow)
	}
	if !ok {
		return domain.RateLimited("too many login attempts; try again in " + wait.Round(time.Second).String())
	}
	return nil
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
		return appendEvent(ctx, uc.Audit, audit.EventParams{Type: audit.UserLoginFailed, Actor: actor,
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
	u = u.RecordLogin(now)
	actor := client
	actor.Type, actor.ID = audit.ActorUser, u.ID()
	err := uc.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.Sessions.Create(ctx, s); err != nil {
			return err
		}
		if err := uc.Users.Update(ctx, u); err != nil {
			return err
		}
		return appendEvent(ctx, uc.Audit, audit.EventParams{Type: audit.UserLogin, Actor: actor,
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
