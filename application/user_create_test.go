package application_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// Every bad field is named in one answer (a short password with a bad
// email and role); a taken email is a conflict; the audit row never
// carries the password or its hash.
func TestCreateUserNamesEveryBadFieldAndAuditsNoHash(t *testing.T) {
	t.Parallel()
	users, hasher, events := newUsers(), &plainHasher{}, &eventsInMemory{}
	uc := application.CreateUser{Tx: runInline{}, Users: users, Hasher: hasher, Audit: events, Clock: fixedClock{}}
	ctx := context.Background()
	_, err := uc.Execute(ctx, someAdmin, application.NewUserInput{Email: "nope", Password: "short", DisplayName: "x", Role: "owner"})
	if domain.CodeOf(err) != domain.CodeInvalid || len(fieldsOf(err)) < 3 {
		t.Fatalf("three bad fields: %v, want invalid naming all of them", err)
	}
	if users.writes != 0 || len(events.events) != 0 {
		t.Fatal("a refused user was stored or audited")
	}
	in := application.NewUserInput{Email: "ann@example.com", Password: rightPassword, DisplayName: "Ann", Role: string(user.RoleEditor)}
	if _, err := uc.Execute(ctx, someAdmin, in); err != nil {
		t.Fatal(err)
	}
	if details := fmt.Sprint(events.events[0].Details()); strings.Contains(details, rightPassword) || strings.Contains(details, "plain:") {
		t.Fatalf("audit details carry the password or its hash: %s", details)
	}
	if _, err := uc.Execute(ctx, someAdmin, in); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("the same email again: %v, want conflict", err)
	}
}

// The first admin is created only while no user exists, so running it on
// every start is safe.
func TestCreateFirstAdminOnlyOnAnEmptyInstallation(t *testing.T) {
	t.Parallel()
	users, events := newUsers(), &eventsInMemory{}
	uc := application.CreateFirstAdmin{Tx: runInline{}, Users: users, Hasher: &plainHasher{}, Audit: events, Clock: fixedClock{}}
	for i, want := range []bool{true, false} {
		created, err := uc.Execute(context.Background(), "root@example.com", rightPassword)
		if err != nil || created != want {
			t.Fatalf("run %d: created %v, %v; want %v", i+1, created, err, want)
		}
	}
	if len(users.rows) != 1 || len(events.events) != 1 {
		t.Fatalf("%d users, %d audit rows after two runs; want 1 and 1", len(users.rows), len(events.events))
	}
	if _, err := uc.Execute(context.Background(), "root@example.com", "short"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("a short configured password: %v, want invalid", err)
	}
}
