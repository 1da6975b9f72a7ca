package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/policy"
)

func TestAuditAppendQueuesOneDeliveryPerSubscribedEnabledWebhook(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	all, users, disabled := domain.NewID(), domain.NewID(), domain.NewID()
	_, err := db.NewRaw(`INSERT INTO webhooks (id, url, secret, event_types, is_enabled) VALUES
		(?, 'https://a.example/h', 'whsec_x', '{}', true),
		(?, 'https://b.example/h', 'whsec_x', '{user.created}', true),
		(?, 'https://c.example/h', 'whsec_x', '{}', false)`, all.String(), users.String(), disabled.String()).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := postgres.NewAuditLog(db)
	tx := postgres.NewTxRunner(db)

	groupEvent, err := audit.NewEvent(audit.EventParams{Type: audit.GroupCreated, Actor: audit.SystemActor(),
		TargetType: audit.TargetGroup, TargetID: domain.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	userEvent, err := audit.NewEvent(audit.EventParams{Type: audit.UserCreated,
		Actor:      audit.Actor{Type: audit.ActorUser, ID: domain.NewID(), ClientIP: "192.0.2.7", UserAgent: "test"},
		TargetType: audit.TargetUser, TargetID: domain.NewID(), Details: map[string]any{"email": "a@b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []audit.Event{groupEvent, userEvent} {
		if err := tx.InTx(ctx, func(ctx context.Context) error { return log.Append(ctx, ev) }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(auditID domain.ID) int {
		n, err := db.NewSelect().Table("webhook_deliveries").Where("audit_id = ?", auditID.String()).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if got := count(groupEvent.ID()); got != 1 {
		t.Errorf("group.created: %d deliveries, want 1 (the all-events hook)", got)
	}
	if got := count(userEvent.ID()); got != 2 {
		t.Errorf("user.created: %d deliveries, want 2", got)
	}
}

func TestAuditAppendRollsBackWithTheChange(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	ev, err := audit.NewEvent(audit.EventParams{Type: audit.GroupDeleted, Actor: audit.SystemActor()})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the change failed")
	err = postgres.NewTxRunner(db).InTx(ctx, func(ctx context.Context) error {
		if err := postgres.NewAuditLog(db).Append(ctx, ev); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("want the change's error, got %v", err)
	}
	n, _ := db.NewSelect().Table("audit_log").Where("id = ?", ev.ID().String()).Count(ctx)
	if n != 0 {
		t.Fatal("the audit row outlived its rolled-back transaction")
	}
}

func TestPolicyInputsCompileToThePolicyTheRowsDescribe(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	g, py, evil, bl := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.NewRaw(q, args...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO groups (id, name, settings) VALUES (?, 'policy-src', '{"enforcement":"enforce"}')`, g.String())
	exec(`INSERT INTO extensions (id, extension_id, name, publisher, pinned_version, sha256_checksum) VALUES
		(?, 'ms-python.python', 'python', 'ms-python', '2024.2.1', ?)`, py.String(), strings.Repeat("ab", 32))
	exec(`INSERT INTO extensions (id, extension_id, name, publisher, is_blocked, block_reason) VALUES
		(?, 'bad.actor', 'actor', 'bad', true, 'typosquat')`, evil.String())
	exec(`INSERT INTO group_extensions (group_id, extension_id, is_required) VALUES (?, ?, true)`, g.String(), py.String())
	exec(`INSERT INTO blocklist (id, pattern_type, pattern, reason) VALUES (?, 'publisher', 'evil', 'malware')`, bl.String())
	exec(`INSERT INTO blocklist (pattern_type, pattern, reason, is_active) VALUES ('exact', 'off.ext', 'inactive', false)`)

	in, err := postgres.NewPolicyInputs(db).Load(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Compile(in)
	if string(p.Enforcement) != "enforce" || len(p.Required) != 1 || p.Required[0].ExtensionID.String() != "ms-python.python" ||
		p.Required[0].Version != "2024.2.1" {
		t.Fatalf("required: %+v enforcement %s", p.Required, p.Enforcement)
	}
	if len(p.Blocked) != 2 {
		t.Fatalf("blocked rules: %+v (want the publisher rule and the catalog block, not the inactive one)", p.Blocked)
	}
	if _, err := postgres.NewPolicyInputs(db).Load(ctx, domain.NewID()); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("unknown group: %v", err)
	}
}

func TestAuditAppendRefusesAnEventThatWasNeverConstructed(t *testing.T) {
	err := postgres.NewAuditLog(pgtest.DB(t)).Append(context.Background(), audit.Event{})
	if domain.CodeOf(err) != domain.CodeInternal {
		t.Fatalf("a zero event must be refused as a programming error, got %v", err)
	}
}
