package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// TestPolicyApplyMakesAGrantedAssignmentPermanent: a file that assigns an
// extension an approval granted the group for a while assigns it for good.
// The apply writes the group's one row of that entry; if it left the
// approval's expiry on it, the file's assignment would end with the
// approval, and every later plan would show it created again and every
// apply audit that create again (an apply of the same file twice would
// change something twice). The audit row names that row, not a new id.
func TestPolicyApplyMakesAGrantedAssignmentPermanent(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	groupID := fixtureGroup(t, db, "{}")
	entry, err := extension.NewEntry(extension.EntryParams{ExtensionID: "granted-" + domain.NewID().String()[24:] + ".tool", CreatedAt: now})
	if err != nil || postgres.NewCatalogRepository(db).Create(ctx, entry) != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewExceptionRepository(db).GrantGroup(ctx, application.GroupGrant{GroupID: groupID, Entry: entry,
		ExpiresAt: now.Add(time.Hour), At: now}); err != nil {
		t.Fatal(err)
	}
	expiry := func() (expires *time.Time, required bool) {
		t.Helper()
		if err := db.NewRaw(`SELECT expires_at, is_required FROM group_extensions WHERE group_id = ? AND extension_id = ?`,
			groupID.String(), entry.ID().String()).Scan(ctx, &expires, &required); err != nil {
			t.Fatal(err)
		}
		return expires, required
	}
	// A PUT changes whether it is required, not for how long (docs/requests.md).
	put := application.PutAssignment{Tx: postgres.NewTxRunner(db), Groups: postgres.NewGroupRepository(db), Catalog: postgres.NewCatalogRepository(db),
		Assignments: postgres.NewAssignmentRepository(db), Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{}}
	if _, _, err := put.Execute(ctx, audit.SystemActor(), groupID, entry.ID(), true); err != nil {
		t.Fatal(err)
	}
	if expires, required := expiry(); expires == nil || !expires.Equal(now.Add(time.Hour)) || !required {
		t.Fatalf("after a PUT the assignment expires at %v, required %v: want the approval's expiry, required", expires, required)
	}
	file := application.PolicyFile{Sections: application.PolicySections{Assignments: true},
		Assignments: []application.PolicyAssignment{{Group: "g-" + groupID.String(), ExtensionID: entry.ExtensionID(), Required: true}}}
	plan, apply := policyUseCases(db)
	p, err := plan.Execute(ctx, file, false)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Action != application.ChangeCreate {
		t.Fatalf("plan: %+v %v", p.Changes, err)
	}
	done, err := apply.Execute(ctx, audit.SystemActor(), file, false, p.Revision)
	if err != nil {
		t.Fatal(err)
	}
	// Its audit row names the row it made permanent.
	var audited, row string
	if err := db.NewRaw(`SELECT a.target_id::text, ge.id::text FROM audit_log a, group_extensions ge
WHERE a.details->>'change_set_id' = ? AND a.details->>'time_limited_made_permanent' = 'true' AND ge.group_id = ? AND ge.extension_id = ?`,
		done.ChangeSetID.String(), groupID.String(), entry.ID().String()).Scan(ctx, &audited, &row); err != nil || audited != row {
		t.Fatalf("the apply's audit row names %s, the assignment is %s (%v)", audited, row, err)
	}
	if expires, required := expiry(); expires != nil || !required {
		t.Fatalf("after the apply the assignment expires at %v, required %v: want permanent and required", expires, required)
	}
	again, err := plan.Execute(ctx, file, false)
	if err != nil || len(again.Changes) != 0 {
		t.Fatalf("the applied file plans again: %+v %v", again.Changes, err)
	}
}
