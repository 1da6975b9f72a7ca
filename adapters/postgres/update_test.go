package postgres_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/user"
	"github.com/extguard/extguard/domain/webhook"
)

// readWriteGap is how long each change holds the value it was given before
// answering. Without the row lock every goroutine would read the row before
// any of them writes, and all but the last change would be lost.
const readWriteGap = 30 * time.Millisecond

type updateFunc[T any] func(ctx context.Context, id domain.ID, change func(T) (T, error)) (T, error)

// changeOf is one concurrent writer: a repository's Update and its change.
func changeOf[T any](update updateFunc[T], id domain.ID, change func(T) (T, error)) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := update(ctx, id, func(current T) (T, error) {
			time.Sleep(readWriteGap)
			return change(current)
		})
		return err
	}
}

// inParallel runs every writer at once, each in its own transaction, the way
// the use cases call Update.
func inParallel(t *testing.T, tx *postgres.TxRunner, writers ...func(context.Context) error) {
	t.Helper()
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Go(func() {
			if err := tx.InTx(context.Background(), w); err != nil {
				t.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
}

// updateInParallel applies every change to the row id at once and answers
// the row as committed.
func updateInParallel[T any](t *testing.T, tx *postgres.TxRunner, update updateFunc[T], id domain.ID, changes ...func(T) (T, error)) T {
	t.Helper()
	writers := make([]func(context.Context) error, len(changes))
	for i, c := range changes {
		writers[i] = changeOf(update, id, c)
	}
	inParallel(t, tx, writers...)
	ctx := context.Background()
	refused := domain.Invalid("refused")
	if _, err := update(ctx, id, func(v T) (T, error) { return v, refused }); err != refused {
		t.Errorf("a refused change answered %v, want its own error", err)
	}
	if _, err := update(ctx, domain.NewID(), func(v T) (T, error) { return v, nil }); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("unknown id: %v, want not_found", err)
	}
	got, err := update(ctx, id, func(v T) (T, error) { return v, nil })
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Every repository's Update keeps all of N concurrent changes to different
// fields of one row.
func TestUpdateKeepsEveryConcurrentChange(t *testing.T) {
	db := pgtest.DB(t)
	tx := postgres.NewTxRunner(db)
	ctx := context.Background()
	now := time.Now().UTC()

	t.Run("group settings merged key by key", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewGroupRepository(db)
		g := must(group.NewGroup(group.GroupParams{Name: "merge-" + domain.NewID().String()[:8]}))(t)
		if err := repo.Create(ctx, g); err != nil {
			t.Fatal(err)
		}
		merge := func(patch string) func(group.Group) (group.Group, error) {
			return func(g group.Group) (group.Group, error) {
				s, err := g.Settings().Merge([]byte(patch))
				if err != nil {
					return g, err
				}
				return g.WithChanges(group.GroupPatch{Settings: &s, At: time.Now()})
			}
		}
		got := updateInParallel(t, tx, repo.Update, g.ID(),
			merge(`{"mode":"blocklist"}`), merge(`{"enforcement":"enforce"}`),
			merge(`{"offline_after_s":172800}`), merge(`{"stale_after_s":600}`),
			func(g group.Group) (group.Group, error) {
				return g.WithChanges(group.GroupPatch{Description: new("renamed meanwhile"), At: time.Now()})
			})
		s := got.Settings()
		if s.Mode() != group.ModeBlocklist || s.Enforcement() != group.EnforcementEnforce ||
			s.OfflineAfterS() != 172800 || s.StaleAfterS() != 600 || got.Description() != "renamed meanwhile" {
			t.Errorf("lost a change: settings %s, description %q", s.ExplicitJSON(), got.Description())
		}
	})

	t.Run("catalog entry", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewCatalogRepository(db)
		e := must(extension.NewEntry(extension.EntryParams{ExtensionID: "race.e" + domain.NewID().String()[:8], Name: "before",
			PinnedVersion: "1.0.0", SHA256: sha64("a")}))(t)
		if err := repo.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		got := updateInParallel(t, tx, repo.Update, e.ID(),
			patchEntry(extension.EntryPatch{Name: new("after")}),
			patchEntry(extension.EntryPatch{PinnedVersion: new("2.0.0")}),
			patchEntry(extension.EntryPatch{MarketplaceURL: new("https://marketplace.visualstudio.com/x.vsix")}),
			patchEntry(extension.EntryPatch{IsBlocked: new(true), BlockReason: new("checksum mismatch")}))
		if got.Name() != "after" || got.PinnedVersion() != "2.0.0" || got.MarketplaceURL() == "" || !got.IsBlocked() ||
			got.BlockReason() != "checksum mismatch" {
			t.Errorf("lost a change: %+v", got)
		}
	})

	t.Run("catalog entry, revalidation and admin", func(t *testing.T) {
		t.Parallel()
		admin, reval := postgres.NewCatalogRepository(db), postgres.NewRevalidationCatalog(db)
		e := must(extension.NewEntry(extension.EntryParams{ExtensionID: "race.r" + domain.NewID().String()[:8], Name: "before",
			PinnedVersion: "1.0.0", SHA256: sha64("b")}))(t)
		if err := admin.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		inParallel(t, tx, changeOf(reval.Update, e.ID(), patchEntry(extension.EntryPatch{IsBlocked: new(true), BlockReason: new("mismatch")})),
			changeOf(admin.Update, e.ID(), patchEntry(extension.EntryPatch{Name: new("after")})))
		got := must(admin.Get(ctx, e.ID()))(t)
		if got.Name() != "after" || !got.IsBlocked() {
			t.Errorf("lost a change: name %q, blocked %v", got.Name(), got.IsBlocked())
		}
	})

	t.Run("blocklist entry", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewBlocklistRepository(db)
		e := must(blocklist.NewEntry(blocklist.EntryParams{PatternType: "publisher", Pattern: "p" + domain.NewID().String()[:8], Reason: "before"}))(t)
		if err := repo.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		patch := func(p blocklist.EntryPatch) func(blocklist.Entry) (blocklist.Entry, error) {
			return func(e blocklist.Entry) (blocklist.Entry, error) { p.At = time.Now(); return e.WithChanges(p) }
		}
		got := updateInParallel(t, tx, repo.Update, e.ID(), patch(blocklist.EntryPatch{Reason: new("after")}),
			patch(blocklist.EntryPatch{IsActive: new(false)}))
		if got.Reason() != "after" || got.IsActive() {
			t.Errorf("lost a change: reason %q, active %v", got.Reason(), got.IsActive())
		}
	})

	t.Run("webhook", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewWebhookRepository(db)
		e := must(webhook.NewEndpoint(webhook.EndpointParams{URL: "https://siem.example/h", Secret: "whsec_" + domain.NewID().String()}))(t)
		if err := repo.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		patch := func(p webhook.EndpointPatch) func(webhook.Endpoint) (webhook.Endpoint, error) {
			return func(e webhook.Endpoint) (webhook.Endpoint, error) { p.At = time.Now(); return e.WithChanges(p) }
		}
		got := updateInParallel(t, tx, repo.Update, e.ID(), patch(webhook.EndpointPatch{URL: new("https://siem.example/other")}),
			patch(webhook.EndpointPatch{Description: new("after")}), patch(webhook.EndpointPatch{EventTypes: new([]string{"user.login"})}),
			patch(webhook.EndpointPatch{IsEnabled: new(false)}))
		if got.URL() != "https://siem.example/other" || got.Description() != "after" || len(got.EventTypes()) != 1 || got.IsEnabled() {
			t.Errorf("lost a change: %+v", got)
		}
	})

	t.Run("user", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewUserRepository(db)
		u := must(user.NewUser(user.UserParams{Email: "race-" + domain.NewID().String()[:8] + "@example.com",
			PasswordHash: "$argon2id$before", DisplayName: "before", Role: "viewer"}))(t)
		if err := repo.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		patch := func(p user.UserPatch) func(user.User) (user.User, error) {
			return func(u user.User) (user.User, error) { p.At = time.Now(); return u.WithChanges(p) }
		}
		got := updateInParallel(t, tx, repo.Update, u.ID(), patch(user.UserPatch{DisplayName: new("after")}),
			patch(user.UserPatch{Role: new("editor")}), patch(user.UserPatch{PasswordHash: new("$argon2id$after")}),
			patch(user.UserPatch{IsActive: new(false)}),
			func(u user.User) (user.User, error) { return u.RecordLogin(now), nil })
		if got.DisplayName() != "after" || got.Role() != user.RoleEditor || got.PasswordHash() != "$argon2id$after" ||
			got.IsActive() || !got.LastLoginAt().Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("lost a change: %+v", got)
		}
	})

	t.Run("agent", func(t *testing.T) {
		t.Parallel()
		groupID := newGroup(t, ctx)
		repo := postgres.NewAgentRepository(db)
		a := must(agent.NewAgent(agent.EnrollParams{GroupID: groupID, MachineID: "m-" + domain.NewID().String(),
			Platform: "linux", AgentVersion: "1.0.0", UserHash: sha64("c"), Now: now}))(t)
		if err := repo.Insert(ctx, a); err != nil {
			t.Fatal(err)
		}
		got := updateInParallel(t, tx, repo.Update, a.ID(),
			func(a agent.Agent) (agent.Agent, error) { return a.WithAgentVersion("2.0.0") },
			func(a agent.Agent) (agent.Agent, error) { return a.Decommission(time.Now()), nil })
		if got.AgentVersion() != "2.0.0" || !got.IsDecommissioned() {
			t.Errorf("lost a change: version %q, status %s", got.AgentVersion(), got.Status())
		}
	})

	t.Run("api key revoked once", func(t *testing.T) {
		t.Parallel()
		repo := postgres.NewAPIKeyRepository(db)
		secret := must(apikey.GenerateSecret(rand.Reader))(t)
		k := must(apikey.NewKey(apikey.KeyParams{GroupID: newGroup(t, ctx), Secret: secret, Name: "k", Scopes: []string{"agent"}}))(t)
		if err := repo.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		revocations := 0
		revoke := func(at time.Time) func(apikey.Key) (apikey.Key, error) {
			return func(k apikey.Key) (apikey.Key, error) {
				if !k.IsRevoked() {
					mu.Lock()
					revocations++
					mu.Unlock()
				}
				return k.Revoke(at), nil
			}
		}
		got := updateInParallel(t, tx, repo.Update, k.ID(), revoke(now), revoke(now), revoke(now))
		if revocations != 1 || !got.IsRevoked() {
			t.Errorf("%d changes saw the key unrevoked, want 1 (revoked %v)", revocations, got.RevokedAt())
		}
	})
}

// Two webhooks changed at once, each change audited: each audit row queues a
// delivery to the other webhook, which must not wait for the other's lock.
func TestUpdatesOfTwoWebhooksAuditedAtOnce(t *testing.T) {
	db := pgtest.DB(t)
	hooks, log := postgres.NewWebhookRepository(db), postgres.NewAuditLog(db)
	ctx := context.Background()
	writer := func() func(context.Context) error {
		e := must(webhook.NewEndpoint(webhook.EndpointParams{URL: "https://siem.example/h", Secret: "whsec_" + domain.NewID().String()}))(t)
		if err := hooks.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		ev := must(audit.NewEvent(audit.EventParams{Type: audit.WebhookUpdated, Actor: audit.SystemActor(),
			TargetType: audit.TargetWebhook, TargetID: e.ID()}))(t)
		change := changeOf(hooks.Update, e.ID(), func(e webhook.Endpoint) (webhook.Endpoint, error) {
			return e.WithChanges(webhook.EndpointPatch{Description: new("changed"), At: time.Now()})
		})
		return func(ctx context.Context) error {
			if err := change(ctx); err != nil {
				return err
			}
			return log.Append(ctx, ev)
		}
	}
	inParallel(t, postgres.NewTxRunner(db), writer(), writer())
}

func patchEntry(p extension.EntryPatch) func(extension.Entry) (extension.Entry, error) {
	return func(e extension.Entry) (extension.Entry, error) { p.At = time.Now(); return e.WithChanges(p) }
}

func sha64(c string) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c[0]
	}
	return string(b)
}
