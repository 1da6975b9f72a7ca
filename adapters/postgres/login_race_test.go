package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/password"
	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/user"
)

// pausingHasher holds the first password check until resume is closed: the
// login has read the user and not yet written it.
type pausingHasher struct {
	application.PasswordHasher
	once          sync.Once
	asked, resume chan struct{}
}

func (h *pausingHasher) Verify(pw, encoded string) (bool, error) {
	h.once.Do(func() { close(h.asked); <-h.resume })
	return h.PasswordHasher.Verify(pw, encoded)
}

type noLimit struct{}

func (noLimit) Reached(context.Context, application.RateSubject, int, time.Duration) (bool, time.Duration) {
	return false, 0
}

func (noLimit) Count(context.Context, application.RateSubject, int, time.Duration) {}

// A user deactivated while their login checks the password stays
// deactivated, and the login opens no session: the login used to write the
// user it had read back, active again.
func TestDeactivationDuringLoginStands(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	argon := password.NewArgon2id(password.Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	const pw = "a long enough passphrase"
	hash := must(argon.Hash(pw))(t)
	u := must(user.NewUser(user.UserParams{Email: "deactivated-" + domain.NewID().String()[24:] + "@example.com",
		PasswordHash: hash, DisplayName: "u", Role: "editor"}))(t)
	users, sessions := postgres.NewUserRepository(db), postgres.NewSessionRepository(db)
	if err := users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	tx, log, clock := postgres.NewTxRunner(db), postgres.NewAuditLog(db), application.SystemClock{}
	hasher := &pausingHasher{PasswordHasher: argon, asked: make(chan struct{}), resume: make(chan struct{})}
	login := must(application.NewLogin(application.Login{Tx: tx, Users: users, Sessions: sessions, Hasher: hasher,
		Limiter: noLimit{}, Audit: log, Clock: clock}))(t)
	deactivate := application.UpdateUser{Tx: tx, Users: users, Sessions: sessions, Hasher: argon, Audit: log, Clock: clock}

	loggedIn := make(chan error, 1)
	go func() {
		_, err := login.Execute(ctx, u.Email(), pw, audit.Actor{ClientIP: "192.0.2.1", UserAgent: "test"})
		loggedIn <- err
	}()
	<-hasher.asked
	admin := audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}
	if _, err := deactivate.Execute(ctx, admin, u.ID(), application.UserChanges{IsActive: new(false)}); err != nil {
		t.Fatal(err)
	}
	close(hasher.resume)
	if err := <-loggedIn; domain.CodeOf(err) != domain.CodeUnauthorized {
		t.Errorf("login of a user deactivated meanwhile: %v, want unauthorized", err)
	}
	if got := must(users.Get(ctx, u.ID()))(t); got.IsActive() {
		t.Error("the login made the deactivated user active again")
	}
	live, err := db.NewSelect().Table("sessions").Where("user_id = ?", u.ID().String()).Where("revoked_at IS NULL").Count(ctx)
	if err != nil || live != 0 {
		t.Errorf("%d live sessions (%v), want none", live, err)
	}
	failed, err := db.NewSelect().Table("audit_log").Where("event_type = ?", string(audit.UserLoginFailed)).
		Where("target_id = ?", u.ID().String()).Count(ctx)
	if err != nil || failed != 1 {
		t.Errorf("%d user.login_failed rows (%v), want 1", failed, err)
	}
}
