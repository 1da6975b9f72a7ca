package application_test

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// usersInMemory is UserAccounts; emails are unique as in the database.
type usersInMemory struct {
	application.UserAccounts
	*table[user.User]
}

func newUsers(us ...user.User) *usersInMemory {
	return &usersInMemory{table: newTable(user.User.ID, us...)}
}

func (u *usersInMemory) CountActive(context.Context) (int, error) { return len(u.rows), nil }

func (u *usersInMemory) CountActiveAdmins(context.Context) (int, error) {
	n := 0
	for _, r := range u.rows {
		if r.IsActive() && r.Role() == user.RoleAdmin {
			n++
		}
	}
	return n, nil
}

func (u *usersInMemory) Create(_ context.Context, r user.User) error {
	if _, err := u.FindByEmail(context.Background(), r.Email()); err == nil {
		return domain.Conflict("email taken")
	}
	return u.create(r)
}

func (u *usersInMemory) Get(_ context.Context, id domain.ID) (user.User, error) { return u.get(id) }

func (u *usersInMemory) FindByEmail(_ context.Context, email string) (user.User, error) {
	for _, r := range u.rows {
		if r.Email() == strings.ToLower(email) {
			return r, nil
		}
	}
	return user.User{}, errNoRow
}

func (u *usersInMemory) Update(_ context.Context, id domain.ID, change func(user.User) (user.User, error)) (user.User, error) {
	return u.update(id, change)
}

func (u *usersInMemory) Delete(_ context.Context, id domain.ID, _ time.Time) error {
	return u.remove(id)
}

// sessionsInMemory is the SessionRepository; FindActive reads the
// session's user from users.
type sessionsInMemory struct {
	open  []application.Session
	users *usersInMemory
}

func (s *sessionsInMemory) FindActive(_ context.Context, tokenHash string, now time.Time) (application.Session, user.User, error) {
	for _, sess := range s.open {
		if sess.TokenHash != tokenHash || !now.Before(sess.ExpiresAt) {
			continue
		}
		if u, err := s.users.get(sess.UserID); err == nil && u.IsActive() {
			return sess, u, nil
		}
	}
	return application.Session{}, user.User{}, errNoRow
}

func (s *sessionsInMemory) Revoke(_ context.Context, id domain.ID, _ time.Time) error {
	for i, sess := range s.open {
		if sess.ID == id {
			s.open = append(s.open[:i], s.open[i+1:]...)
			return nil
		}
	}
	return errNoRow
}

func (s *sessionsInMemory) Create(_ context.Context, sess application.Session) error {
	s.open = append(s.open, sess)
	return nil
}

func (s *sessionsInMemory) RevokeForUser(_ context.Context, userID domain.ID, _ time.Time) (int, error) {
	kept, n := s.open[:0], 0
	for _, sess := range s.open {
		if sess.UserID == userID {
			n++
			continue
		}
		kept = append(kept, sess)
	}
	s.open = kept
	return n, nil
}

// of counts the open sessions of userID.
func (s *sessionsInMemory) of(userID domain.ID) int {
	n := 0
	for _, sess := range s.open {
		if sess.UserID == userID {
			n++
		}
	}
	return n
}

// plainHasher "hashes" by prefixing and counts verifications, so a test can
// see that every login attempt costs one. A hash without the prefix is
// malformed, as the port says.
type plainHasher struct{ verified int }

func (*plainHasher) Hash(pw string) (string, error) { return "plain:" + pw, nil }

func (h *plainHasher) Verify(pw, encoded string) (bool, error) {
	h.verified++
	stored, ok := strings.CutPrefix(encoded, "plain:")
	if !ok {
		return false, errors.New("malformed hash")
	}
	return stored == pw, nil
}

// limiterInMemory is the LoginLimiter: one counter per subject, no windows
// (a test never outlives one).
type limiterInMemory struct {
	counts map[application.RateSubject]int
}

func (l *limiterInMemory) Reached(_ context.Context, s application.RateSubject, limit int, window time.Duration) (bool, time.Duration) {
	return l.counts[s] >= limit, window
}

func (l *limiterInMemory) Count(_ context.Context, s application.RateSubject, _ int, _ time.Duration) {
	if l.counts == nil {
		l.counts = map[application.RateSubject]int{}
	}
	l.counts[s]++
}
