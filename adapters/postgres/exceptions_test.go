package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// TestGrantGroupKeepsTheLongerAssignment: approving for a group extends a
// time-limited assignment to the later expiry and never shortens a
// permanent one; Expire ends only what is due, once.
func TestGrantGroupKeepsTheLongerAssignment(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	repo, catalog := postgres.NewExceptionRepository(db), postgres.NewCatalogRepository(db)
	now := time.Now().UTC().Truncate(time.Microsecond)
	grant := func(groupID domain.ID, e extension.Entry, expires time.Time) {
		t.Helper()
		if _, err := repo.GrantGroup(ctx, application.GroupGrant{GroupID: groupID, Entry: e, ExpiresAt: expires, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	expiry := func(groupID domain.ID, e extension.Entry) (at time.Time) {
		t.Helper()
		if err := db.NewRaw(`SELECT coalesce(expires_at, '9999-01-01T00:00:00Z') FROM group_extensions WHERE group_id = ? AND extension_id = ?`,
			groupID.String(), e.ID().String()).Scan(ctx, &at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	entry, err := extension.NewEntry(extension.EntryParams{ExtensionID: "grant-" + domain.NewID().String()[24:] + ".tool", CreatedAt: now})
	if err != nil || catalog.Create(ctx, entry) != nil {
		t.Fatal(err)
	}
	timed, permanent := fixtureGroup(t, db, "{}"), fixtureGroup(t, db, "{}")
	grant(timed, entry, now.Add(time.Hour))
	grant(timed, entry, now.Add(time.Minute)) // shorter: the hour stays
	if got := expiry(timed, entry); !got.Equal(now.Add(time.Hour)) {
		t.Fatalf("expiry %v, want the later one", got)
	}
	grant(permanent, entry, time.Time{})
	grant(permanent, entry, now.Add(time.Minute))
	if got := expiry(permanent, entry); got.Year() != 9999 { // NULL: no end
		t.Fatalf("a permanent assignment got expiry %v", got)
	}
	ended, err := repo.Expire(ctx, now.Add(2*time.Hour))
	mine := 0
	for _, g := range ended {
		if g.GroupID == timed || g.GroupID == permanent {
			mine++
		}
	}
	if err != nil || mine != 1 {
		t.Fatalf("expire: %v, %d of this test's assignments ended, want the timed one", err, mine)
	}
	if n := countRows(t, db, `SELECT count(*) FROM group_extensions WHERE extension_id = ?`, entry.ID().String()); n != 1 {
		t.Fatalf("%d assignments left, want the permanent one", n)
	}
}

// TestPolicyInputsLeaveOutExpiredAssignments: an assignment whose expiry
// has passed is not compiled into the group's policy, whether or not the
// expiry pass has removed it yet.
func TestPolicyInputsLeaveOutExpiredAssignments(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	repo, catalog := postgres.NewExceptionRepository(db), postgres.NewCatalogRepository(db)
	now := time.Now().UTC()
	groupID := fixtureGroup(t, db, "{}")
	for _, expires := range []time.Time{now.Add(-time.Second), now.Add(time.Hour), {}} {
		e, err := extension.NewEntry(extension.EntryParams{ExtensionID: "inputs-" + domain.NewID().String()[24:] + ".tool", CreatedAt: now})
		if err != nil || catalog.Create(ctx, e) != nil {
			t.Fatal(err)
		}
		if _, err := repo.GrantGroup(ctx, application.GroupGrant{GroupID: groupID, Entry: e, ExpiresAt: expires, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	in, err := postgres.NewPolicyInputs(db).Load(ctx, groupID)
	if err != nil || len(in.Assignments) != 2 {
		t.Fatalf("%v: %d assignments compiled, want the unexpired two", err, len(in.Assignments))
	}
}
