package application_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/threatfeed"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// In-memory fakes of the application's ports, shared by every use-case test
// of this package. They keep the ports' documented behaviour (not_found for
// unknown rows, a refused change stores nothing) and nothing more: SQL,
// locking and paging are the adapters' tests' business, against PostgreSQL.
// Methods a use case under test never calls are left to the embedded
// interface, so calling one panics rather than answering something made up.

// runInline is the Transactor: it just calls fn (no rollback; tests check
// that a refusal happens before anything is written).
type runInline struct{}

func (runInline) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

// eventsInMemory is the AuditLog.
type eventsInMemory struct{ events []audit.Event }

func (e *eventsInMemory) Append(_ context.Context, ev audit.Event) error {
	e.events = append(e.events, ev)
	return nil
}

// ofType lists the recorded events of type t.
func (e *eventsInMemory) ofType(t audit.EventType) []audit.Event {
	var out []audit.Event
	for _, ev := range e.events {
		if ev.Type() == t {
			out = append(out, ev)
		}
	}
	return out
}

// table is the row store behind every repository fake: Update calls change
// with the stored row and stores only what an error-free change answers,
// as the Update contract atop ports_admin.go says.
type table[T any] struct {
	rows   map[domain.ID]T
	idOf   func(T) domain.ID
	writes int // successful creates, updates and deletes
}

func newTable[T any](idOf func(T) domain.ID, rows ...T) *table[T] {
	t := &table[T]{rows: map[domain.ID]T{}, idOf: idOf}
	for _, r := range rows {
		t.rows[idOf(r)] = r
	}
	return t
}

var errNoRow = domain.NotFound("no such row")

func (t *table[T]) get(id domain.ID) (T, error) {
	r, ok := t.rows[id]
	if !ok {
		return r, errNoRow
	}
	return r, nil
}

func (t *table[T]) create(r T) error {
	if _, ok := t.rows[t.idOf(r)]; ok {
		return domain.Conflict("id taken")
	}
	t.rows[t.idOf(r)] = r
	t.writes++
	return nil
}

func (t *table[T]) update(id domain.ID, change func(T) (T, error)) (T, error) {
	current, err := t.get(id)
	if err != nil {
		return current, err
	}
	next, err := change(current)
	if err != nil {
		var zero T
		return zero, err
	}
	t.rows[id] = next
	t.writes++
	return next, nil
}

func (t *table[T]) remove(id domain.ID) error {
	if _, err := t.get(id); err != nil {
		return err
	}
	delete(t.rows, id)
	t.writes++
	return nil
}

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

// invalidations counts what the use case told the caches.
type invalidations struct {
	mu     sync.Mutex
	groups []domain.ID
	all    int
	keys   []domain.ID
}

func (i *invalidations) GroupChanged(_ context.Context, id domain.ID) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.groups = append(i.groups, id)
}

func (i *invalidations) AllGroupsChanged(context.Context) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.all++
}

func (i *invalidations) KeyChanged(_ context.Context, id domain.ID) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, id)
}

// keysInMemory is the APIKeyRepository.
type keysInMemory struct {
	application.APIKeyRepository
	created []apikey.Key
	*table[apikey.Key]
}

func newKeys(ks ...apikey.Key) *keysInMemory {
	return &keysInMemory{table: newTable(apikey.Key.ID, ks...)}
}

func (k *keysInMemory) Create(_ context.Context, key apikey.Key) error {
	k.created = append(k.created, key)
	return nil
}

func (k *keysInMemory) ListByGroup(_ context.Context, groupID domain.ID) ([]apikey.Key, error) {
	var out []apikey.Key
	for _, key := range k.rows {
		if key.GroupID() == groupID {
			out = append(out, key)
		}
	}
	return out, nil
}

func (k *keysInMemory) Update(_ context.Context, id domain.ID, change func(apikey.Key) (apikey.Key, error)) (apikey.Key, error) {
	return k.update(id, change)
}

// groupsInMemory is the GroupRepository.
type groupsInMemory struct {
	application.GroupRepository
	*table[group.Group]
	enrolled map[domain.ID]int // agents per group
}

func newGroups(gs ...group.Group) *groupsInMemory {
	return &groupsInMemory{table: newTable(group.Group.ID, gs...)}
}

func (g *groupsInMemory) Get(_ context.Context, id domain.ID) (group.Group, error) { return g.get(id) }

func (g *groupsInMemory) Create(_ context.Context, gr group.Group) error { return g.create(gr) }

func (g *groupsInMemory) Delete(_ context.Context, id domain.ID, _ time.Time) error {
	return g.remove(id)
}

func (g *groupsInMemory) CountEnrolledAgents(_ context.Context, id domain.ID) (int, error) {
	return g.enrolled[id], nil
}

func (g *groupsInMemory) Update(_ context.Context, id domain.ID, change func(group.Group) (group.Group, error)) (group.Group, error) {
	return g.update(id, change)
}

// catalogInMemory is the CatalogRepository and the RevalidationCatalog.
type catalogInMemory struct {
	application.CatalogRepository
	*table[extension.Entry]
}

func newCatalog(es ...extension.Entry) *catalogInMemory {
	return &catalogInMemory{table: newTable(extension.Entry.ID, es...)}
}

func (c *catalogInMemory) Get(_ context.Context, id domain.ID) (extension.Entry, error) {
	return c.get(id)
}

func (c *catalogInMemory) Create(_ context.Context, e extension.Entry) error {
	for _, r := range c.rows {
		if r.ExtensionID() == e.ExtensionID() {
			return domain.Conflict("extension_id taken")
		}
	}
	return c.create(e)
}

func (c *catalogInMemory) Update(_ context.Context, id domain.ID, change func(extension.Entry) (extension.Entry, error)) (extension.Entry, error) {
	return c.update(id, change)
}

func (c *catalogInMemory) ListRevalidatable(context.Context) ([]domain.ID, error) {
	panic("not used by the use cases under test")
}

// blocklistInMemory is the BlocklistRepository.
type blocklistInMemory struct {
	application.BlocklistRepository
	*table[blocklist.Entry]
}

func newBlocklist(es ...blocklist.Entry) *blocklistInMemory {
	return &blocklistInMemory{table: newTable(blocklist.Entry.ID, es...)}
}

func (b *blocklistInMemory) Create(_ context.Context, e blocklist.Entry) error { return b.create(e) }

func (b *blocklistInMemory) Update(_ context.Context, id domain.ID, change func(blocklist.Entry) (blocklist.Entry, error)) (blocklist.Entry, error) {
	return b.update(id, change)
}

// List answers every entry in one page (paging is the adapter's business).
func (b *blocklistInMemory) List(context.Context, application.BlocklistFilter, application.PageRequest) (application.Page[blocklist.Entry], error) {
	var p application.Page[blocklist.Entry]
	for _, e := range b.rows {
		p.Items = append(p.Items, e)
	}
	return p, nil
}

func (b *blocklistInMemory) Delete(_ context.Context, id domain.ID, _ time.Time) error {
	return b.remove(id)
}

func (b *blocklistInMemory) LockAll(context.Context) error { return nil }

// webhooksInMemory is the WebhookRepository.
type webhooksInMemory struct {
	application.WebhookRepository
	*table[webhook.Endpoint]
}

func newWebhooks(es ...webhook.Endpoint) *webhooksInMemory {
	return &webhooksInMemory{table: newTable(webhook.Endpoint.ID, es...)}
}

func (w *webhooksInMemory) Create(_ context.Context, e webhook.Endpoint) error { return w.create(e) }

func (w *webhooksInMemory) Update(_ context.Context, id domain.ID, change func(webhook.Endpoint) (webhook.Endpoint, error)) (webhook.Endpoint, error) {
	return w.update(id, change)
}

// assignmentsInMemory is the AssignmentRepository, keyed by group and entry.
type assignmentsInMemory struct {
	application.AssignmentRepository
	rows map[[2]domain.ID]application.Assignment
	puts int
}

func (a *assignmentsInMemory) Get(_ context.Context, groupID, entryID domain.ID) (application.Assignment, error) {
	r, ok := a.rows[[2]domain.ID{groupID, entryID}]
	if !ok {
		return r, errNoRow
	}
	return r, nil
}

func (a *assignmentsInMemory) Put(_ context.Context, r application.Assignment) (bool, error) {
	if a.rows == nil {
		a.rows = map[[2]domain.ID]application.Assignment{}
	}
	key := [2]domain.ID{r.GroupID, r.Entry.ID()}
	_, existed := a.rows[key]
	a.rows[key] = r
	a.puts++
	return !existed, nil
}

// privateHostGuard is the TargetGuard: it refuses URLs whose host is
// "localhost" or starts with "10.", and remembers what it was asked.
type privateHostGuard struct{ checked []string }

func (g *privateHostGuard) Check(field, rawURL string) error {
	g.checked = append(g.checked, rawURL)
	u, err := url.Parse(rawURL)
	if err == nil && u.Hostname() != "localhost" && !strings.HasPrefix(u.Hostname(), "10.") {
		return nil
	}
	return domain.Invalid("private target", domain.FieldError{Field: field, Message: "names a private address"})
}

// fieldsOf names the invalid fields of err.
func fieldsOf(err error) []string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil
	}
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field)
	}
	return out
}

// hasField says whether err is invalid naming field.
func hasField(err error, field string) bool {
	for _, f := range fieldsOf(err) {
		if f == field {
			return true
		}
	}
	return false
}

// policiesInMemory is CompiledPolicies: a group without a policy is unknown.
type policiesInMemory map[domain.ID]application.CompiledPolicy

func (p policiesInMemory) Get(_ context.Context, groupID domain.ID) (application.CompiledPolicy, error) {
	cp, ok := p[groupID]
	if !ok {
		return cp, errNoRow
	}
	return cp, nil
}

// packagesInMemory is the PackageFetcher: every URL serves the same
// package; during, when set, runs inside Fetch, as an admin editing the
// entry while its package downloads.
type packagesInMemory struct {
	sha256, contentDigest string
	err                   error
	fetched               int
	during                func()
}

func (p *packagesInMemory) Fetch(context.Context, string) (application.FetchedPackage, error) {
	p.fetched++
	if p.during != nil {
		p.during()
	}
	if p.err != nil {
		return nil, p.err
	}
	return fetchedPackage{p}, nil
}

type fetchedPackage struct{ p *packagesInMemory }

func (f fetchedPackage) SHA256() string                 { return f.p.sha256 }
func (f fetchedPackage) ContentDigest() (string, error) { return f.p.contentDigest, nil }
func (fetchedPackage) Close() error                     { return nil }
func (fetchedPackage) Capabilities() (extension.Capabilities, error) {
	return extension.Capabilities{}, nil
}

// agentsInMemory is the AgentRepository; (group, machine_id) is unique as
// in the database. raceOnce makes the next Insert lose to a concurrent
// enrollment of the same machine: it stores the winner and answers conflict.
type agentsInMemory struct {
	*table[agent.Agent]
	raceOnce bool
}

func newAgents(as ...agent.Agent) *agentsInMemory {
	return &agentsInMemory{table: newTable(agent.Agent.ID, as...)}
}

func (a *agentsInMemory) Get(_ context.Context, id domain.ID) (agent.Agent, error) { return a.get(id) }

func (a *agentsInMemory) FindByMachineForUpdate(_ context.Context, groupID domain.ID, machineID string) (agent.Agent, error) {
	for _, r := range a.rows {
		if r.GroupID() == groupID && r.MachineID() == machineID {
			return r, nil
		}
	}
	return agent.Agent{}, errNoRow
}

func (a *agentsInMemory) Insert(ctx context.Context, r agent.Agent) error {
	if _, err := a.FindByMachineForUpdate(ctx, r.GroupID(), r.MachineID()); err == nil {
		return domain.Conflict("machine enrolled")
	}
	if a.raceOnce {
		a.raceOnce = false
		winner := agent.RehydrateAgent(agent.Record{ID: domain.NewID(), GroupID: r.GroupID(), MachineID: r.MachineID(), Status: agent.StatusActive})
		a.rows[winner.ID()] = winner
		return domain.Conflict("machine enrolled")
	}
	return a.create(r)
}

func (a *agentsInMemory) UpdateEnrollment(_ context.Context, r agent.Agent) error {
	_, err := a.update(r.ID(), func(agent.Agent) (agent.Agent, error) { return r, nil })
	return err
}

func (a *agentsInMemory) Update(_ context.Context, id domain.ID, change func(agent.Agent) (agent.Agent, error)) (agent.Agent, error) {
	return a.update(id, change)
}

// agentsChanged counts AgentCacheInvalidator calls.
type agentsChanged struct{ ids []domain.ID }

func (c *agentsChanged) AgentChanged(_ context.Context, id domain.ID) { c.ids = append(c.ids, id) }

// fixedSecret is the WebhookSecrets.
type fixedSecret string

func (s fixedSecret) Generate() (string, error) { return string(s), nil }

// oneKey is the APIKeyLookup of one key, whatever the digest.
type oneKey struct{ key apikey.Key }

func (o oneKey) FindByDigest(context.Context, apikey.Digest) (apikey.Key, error) { return o.key, nil }

type noUsage struct{}

func (noUsage) KeyUsed(domain.ID, time.Time) {}

// flakyEvents fails the first n appends, as a database that hiccups.
type flakyEvents struct {
	eventsInMemory
	failures int
}

func (f *flakyEvents) Append(ctx context.Context, ev audit.Event) error {
	if f.failures > 0 {
		f.failures--
		return errors.New("database hiccup")
	}
	return f.eventsInMemory.Append(ctx, ev)
}

// feedsInMemory is the ThreatFeedRepository: one feed's advisories by key.
// The methods it lacks (list, delete, suppressions) panic.
type feedsInMemory struct {
	application.ThreatFeedRepository
	feeds      map[domain.ID]threatfeed.Feed
	advisories map[domain.ID]map[string]threatfeed.Entry
	statuses   int
}

func newFeeds(fs ...threatfeed.Feed) *feedsInMemory {
	m := &feedsInMemory{feeds: map[domain.ID]threatfeed.Feed{}, advisories: map[domain.ID]map[string]threatfeed.Entry{}}
	for _, f := range fs {
		m.feeds[f.ID()] = f
	}
	return m
}

func (m *feedsInMemory) Create(_ context.Context, f threatfeed.Feed, _ domain.ID) error {
	m.feeds[f.ID()] = f
	return nil
}

func (m *feedsInMemory) Get(_ context.Context, id domain.ID) (threatfeed.Feed, error) {
	f, ok := m.feeds[id]
	if !ok {
		return f, errNoRow
	}
	return f, nil
}

func (m *feedsInMemory) Lock(ctx context.Context, id domain.ID) (threatfeed.Feed, error) {
	return m.Get(ctx, id)
}

func (m *feedsInMemory) Fetched(context.Context) ([]threatfeed.Feed, error) {
	var out []threatfeed.Feed
	for _, f := range m.feeds {
		if f.URL() != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *feedsInMemory) SetStatus(_ context.Context, id domain.ID, s threatfeed.Status, _ time.Time) error {
	f := m.feeds[id]
	m.feeds[id] = threatfeed.Rehydrate(threatfeed.Params{ID: f.ID(), Name: f.Name(), Kind: string(f.Kind()), URL: f.URL(),
		Mode: string(f.Mode()), Interval: f.Interval(), Status: s, CreatedAt: f.CreatedAt()})
	m.statuses++
	return nil
}

func (m *feedsInMemory) ReplaceAdvisories(_ context.Context, id domain.ID, es []threatfeed.Entry, _ time.Time) (application.AdvisoryChange, error) {
	var c application.AdvisoryChange
	old, next := m.advisories[id], map[string]threatfeed.Entry{}
	for _, e := range es {
		next[e.Key()] = e
		if prev, ok := old[e.Key()]; ok {
			c.Kept++
			if !reflect.DeepEqual(prev, e) {
				c.Changed++
			}
		} else {
			c.Added = append(c.Added, e)
		}
	}
	for k, e := range old {
		if _, ok := next[k]; !ok {
			c.Removed = append(c.Removed, e)
		}
	}
	m.advisories[id] = next
	return c, nil
}

// exposureOf answers fixed counts for the ids it knows.
type exposureOf map[string][]application.GroupCount

func (x exposureOf) Exposure(_ context.Context, es []threatfeed.Entry) ([]application.AdvisoryExposure, error) {
	var out []application.AdvisoryExposure
	for _, e := range es {
		if gs, ok := x[e.Pattern.String()]; ok {
			n := 0
			for _, g := range gs {
				n += g.Agents
			}
			out = append(out, application.AdvisoryExposure{Entry: e, Groups: gs, Agents: n})
		}
	}
	return out, nil
}
