package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// failingAudit refuses every audit row: retention must then remove nothing.
type failingAudit struct{}

func (failingAudit) Append(context.Context, audit.Event) error {
	return domain.Unavailable("audit log down")
}

func partitionExists(t *testing.T, ctx context.Context, name string) bool {
	t.Helper()
	var ok bool
	if err := pgtest.DB(t).NewRaw(`SELECT to_regclass(?) IS NOT NULL`, name).Scan(ctx, &ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// Retention drops whole expired month partitions, each drop audited with
// what it removed, after deleting finished deliveries that would pin audit
// rows; a partition whose audit rows a pending delivery still references is
// kept; partitions of the months ahead are created; an audit failure
// removes nothing.
func TestRetentionDropsExpiredPartitionsAndAuditsThem(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	a := enrolled(t, ctx, newGroup(t, ctx), "m-retention")
	webhook := domain.NewID()
	// The migration made the months ahead too: remove the last one (nothing
	// writes there yet) so that only the run can bring it back.
	ahead := time.Now().UTC().AddDate(0, 2, 0).Format("200601")
	for _, table := range []string{"reports", "audit_log"} {
		if _, err := db.ExecContext(ctx, `ALTER TABLE ? DETACH PARTITION ?; DROP TABLE ?`, bun.Ident(table),
			bun.Ident(table+"_p"+ahead), bun.Ident(table+"_p"+ahead)); err != nil {
			t.Fatal(err)
		}
	}
	// Months long past: February (droppable once its delivery is gone) and
	// March (a pending delivery pins its audit row).
	if _, err := db.ExecContext(ctx, `
SELECT extguard_create_month_partition(t, m) FROM unnest(ARRAY['reports', 'audit_log']) t,
    unnest(ARRAY[timestamptz '2026-02-10Z', timestamptz '2026-03-10Z']) m;
INSERT INTO reports (id, agent_id, group_id, extension_id, installed, reported_at)
SELECT extguard_uuidv7_floor(timestamptz '2026-02-10Z' + g * interval '1 s'), ?, ?, 'old.ext', true, timestamptz '2026-02-10Z'
FROM generate_series(1, 3) g;
INSERT INTO audit_log (id, event_type, actor_type, created_at) VALUES
    (extguard_uuidv7_floor('2026-02-11Z'), 'group.created', 'system', '2026-02-11Z'),
    (extguard_uuidv7_floor('2026-02-12Z'), 'group.updated', 'system', '2026-02-12Z'),
    (extguard_uuidv7_floor('2026-03-11Z'), 'group.updated', 'system', '2026-03-11Z');
INSERT INTO webhooks (id, url, secret, is_enabled) VALUES (?, 'https://siem.example/retention', 'whsec_x', false);
INSERT INTO webhook_deliveries (webhook_id, audit_id, status, delivered_at, created_at) VALUES
    (?, extguard_uuidv7_floor('2026-02-11Z'), 'delivered', '2026-02-11Z', '2026-02-11Z'),
    (?, extguard_uuidv7_floor('2026-03-11Z'), 'pending', NULL, '2026-03-11Z');
INSERT INTO webhook_attempts (delivery_id, attempt, status_code)
SELECT id, 1, 200 FROM webhook_deliveries WHERE audit_id = extguard_uuidv7_floor('2026-02-11Z');`,
		a.ID().String(), a.GroupID().String(), webhook.String(), webhook.String(), webhook.String()); err != nil {
		t.Fatal(err)
	}
	policy := application.RetentionPolicy{Reports: 90 * 24 * time.Hour, Audit: 90 * 24 * time.Hour, Deliveries: 30 * 24 * time.Hour}
	uc := application.ApplyRetention{Tx: postgres.NewTxRunner(db), Partitions: postgres.NewPartitions(db),
		Audit: failingAudit{}, Clock: application.SystemClock{}, Policy: policy}

	if _, err := uc.Execute(ctx); err == nil {
		t.Fatal("retention without an audit log succeeded")
	}
	var deliveries int
	if err := db.NewRaw(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?`, webhook.String()).Scan(ctx, &deliveries); err != nil || deliveries != 2 {
		t.Fatalf("deliveries after a failed audit: %d (%v), want 2", deliveries, err)
	}
	if !partitionExists(t, ctx, "reports_p202602") || !partitionExists(t, ctx, "audit_log_p202602") {
		t.Fatal("a partition was dropped without its audit row")
	}

	uc.Audit = postgres.NewAuditLog(db)
	res, err := uc.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"reports_p202602": false, "audit_log_p202602": false, "reports_p202603": false,
		"audit_log_p202603": true, "reports_legacy_low": true} {
		if got := partitionExists(t, ctx, name); got != want {
			t.Errorf("%s exists: %v, want %v", name, got, want)
		}
	}
	if !partitionExists(t, ctx, "reports_p"+ahead) || !partitionExists(t, ctx, "audit_log_p"+ahead) {
		t.Errorf("the partitions of %s were not created ahead (%v)", ahead, res.Created)
	}
	if len(res.Pinned) != 1 || res.Pinned[0].Name != "audit_log_p202603" || res.Deliveries != 1 || res.Rows != 5 {
		t.Errorf("result %+v: want audit_log_p202603 pinned, 1 delivery, 5 rows (3 reports, 2 audit)", res)
	}
	var audited []struct {
		Table string `bun:"tbl"`
		Rows  int    `bun:"rows"`
	}
	if err := db.NewRaw(`SELECT details->>'table' AS tbl, (details->>'rows')::int AS rows FROM audit_log
		WHERE event_type = 'history.retained' AND coalesce(details->>'partition', '') NOT LIKE '%_p2024%' ORDER BY tbl`).Scan(ctx, &audited); err != nil {
		t.Fatal(err)
	}
	want := []string{"audit_log:2", "reports:0", "reports:3", "webhook_deliveries:1"}
	got := []string{}
	for _, r := range audited {
		got = append(got, r.Table+":"+strconv.Itoa(r.Rows))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audited removals %v, want %v", got, want)
	}
	var attempts int
	if err := db.NewRaw(`SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE d.webhook_id = ?`, webhook.String()).Scan(ctx, &attempts); err != nil || attempts != 0 {
		t.Errorf("attempts of removed deliveries: %d (%v)", attempts, err)
	}
	// Existing queries still read the partitioned tables.
	if _, err := postgres.NewAuditReader(db).List(ctx, application.AuditFilter{EventType: audit.HistoryRetained},
		application.PageRequest{Limit: 10}); err != nil {
		t.Fatal(err)
	}
}

// oneOldReport makes the reports partition of month and writes one row
// with id (an SQL expression) and reported_at into it.
func oneOldReport(t *testing.T, ctx context.Context, machine, month, id, reportedAt string) {
	t.Helper()
	a := enrolled(t, ctx, newGroup(t, ctx), machine)
	if _, err := pgtest.DB(t).ExecContext(ctx, `SELECT extguard_create_month_partition('reports', ?::timestamptz);
INSERT INTO reports (id, agent_id, group_id, extension_id, installed, reported_at)
VALUES (`+id+`, ?, ?, 'old.ext', true, `+reportedAt+`)`, month, a.ID().String(), a.GroupID().String()); err != nil {
		t.Fatal(err)
	}
}

// A retention run that finds the parent table busy (a long investigation
// query holds it) keeps the partition for the next run instead of waiting
// in the lock queue, where it would stall every report and audited change
// behind it; once the table is free the partition goes.
func TestRetentionDoesNotWaitForABusyTable(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	oneOldReport(t, ctx, "m-retention-busy", "2026-01-10Z", `extguard_uuidv7_floor('2026-01-10Z')`, `'2026-01-10Z'`)
	reader, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reader.Rollback() }()
	if _, err := reader.ExecContext(ctx, `LOCK TABLE reports IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	uc := application.ApplyRetention{Tx: postgres.NewTxRunner(db), Partitions: postgres.NewPartitions(db),
		Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{},
		Policy: application.RetentionPolicy{Reports: 90 * 24 * time.Hour}}
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := uc.Execute(bounded)
	if err != nil {
		t.Fatalf("retention on a busy table: %v (it waited for the lock)", err)
	}
	if len(res.Pinned) != 1 || res.Pinned[0].Name != "reports_p202601" || !partitionExists(t, ctx, "reports_p202601") {
		t.Fatalf("busy table: %+v, want reports_p202601 kept", res)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Execute(ctx); err != nil || partitionExists(t, ctx, "reports_p202601") {
		t.Fatalf("free table: %v, reports_p202601 still there: %v", err, partitionExists(t, ctx, "reports_p202601"))
	}
}

// A legacy row (a random id, not a UUIDv7) whose leading bits read as an
// expired month lands in that month's partition whatever its age: the
// partition is kept while such a row is younger than the retention.
func TestRetentionKeepsAMonthHoldingAYoungLegacyRow(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	oneOldReport(t, ctx, "m-retention-legacy", "2025-12-10Z", `'019b0700-0000-4000-8000-000000000001'`, `now() - interval '1 day'`)
	var partition string
	if err := db.NewRaw(`SELECT tableoid::regclass::text FROM reports WHERE id = '019b0700-0000-4000-8000-000000000001'`).
		Scan(ctx, &partition); err != nil || partition != "reports_p202512" {
		t.Fatalf("the legacy row went to %q (%v), want reports_p202512", partition, err)
	}
	uc := application.ApplyRetention{Tx: postgres.NewTxRunner(db), Partitions: postgres.NewPartitions(db),
		Audit: postgres.NewAuditLog(db), Clock: application.SystemClock{},
		Policy: application.RetentionPolicy{Reports: 90 * 24 * time.Hour}}
	res, err := uc.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !partitionExists(t, ctx, "reports_p202512") || len(res.Pinned) != 1 || res.Pinned[0].Name != "reports_p202512" {
		t.Fatalf("%+v: want reports_p202512 kept for its young legacy row", res)
	}
}
