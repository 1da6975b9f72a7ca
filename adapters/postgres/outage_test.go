package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// requireUnavailable fails unless err is unavailable with a message that
// names nothing internal.
func requireUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if got := domain.CodeOf(err); got != domain.CodeUnavailable {
		t.Fatalf("%s: code %q, want unavailable: %v", what, got, err)
	}
	var de *domain.Error
	errors.As(err, &de)
	for _, leak := range []string{"127.0.0.1", "SELECT", "postgres", "dial", "extguard_test"} {
		if strings.Contains(de.Message, leak) {
			t.Errorf("%s: the client-facing message %q names %q", what, de.Message, leak)
		}
	}
}

func TestRepositoriesAnswerUnavailableWhenTheServerIsGone(t *testing.T) {
	o := pgtest.NewOutage(t, postgres.DefaultPool())
	ctx := context.Background()
	groups := postgres.NewGroupRepository(o.DB)
	page := application.PageRequest{Limit: 10}
	if _, err := groups.List(ctx, application.GroupFilter{}, page); err != nil {
		t.Fatal(err)
	}
	o.Cut()
	_, err := groups.List(ctx, application.GroupFilter{}, page)
	requireUnavailable(t, "list on a dead pool", err)
	_, err = groups.Get(ctx, domain.NewID())
	requireUnavailable(t, "get", err)
	err = postgres.NewTxRunner(o.DB).InTx(ctx, func(ctx context.Context) error {
		_, err := groups.Get(ctx, domain.NewID())
		return err
	})
	requireUnavailable(t, "transaction", err)
}

func TestATerminatedBackendIsUnavailable(t *testing.T) {
	ctx := context.Background()
	u, _ := url.Parse(pgtest.DSN(t))
	q := u.Query()
	app := "extguard-outage-" + domain.NewID().String()[24:]
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String(), postgres.DefaultPool())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	done := make(chan error, 1)
	go func() { _, err := db.NewRaw("SELECT pg_sleep(30)").Exec(ctx); done <- err }()
	// Only this test's own connection, in this test binary's own database.
	admin := pgtest.DB(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := admin.NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = ? AND state = 'active'`, app).Scan(ctx, &n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sleeping backend never showed up in pg_stat_activity")
		}
		time.Sleep(20 * time.Millisecond)
	}
	err = <-done
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57P01" {
		t.Fatalf("want SQLSTATE 57P01 (admin shutdown) under the error, got %v", err)
	}
	requireUnavailable(t, "terminated backend", err)
	// database/sql drops the dead connection; the next statement works.
	if _, err := db.NewRaw("SELECT 1").Exec(ctx); err != nil {
		t.Fatalf("after the termination: %v", err)
	}
}

func TestAPoolThatCannotHandOutAConnectionInTimeIsUnavailable(t *testing.T) {
	o := pgtest.NewOutage(t, postgres.PoolConfig{MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute})
	ctx := context.Background()
	held, err := o.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = postgres.NewTxRunner(o.DB).InTx(waitCtx, func(context.Context) error { return nil })
	requireUnavailable(t, "pool exhausted", err)
}
