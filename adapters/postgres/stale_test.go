package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

func TestStaleScanMovesSilentAgentsByTheirGroupsThresholdsAndAuditsEachTransition(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }

	defaults := fixtureGroup(t, db, `{}`) // stale after 180 s, offline after 86400 s
	tight := fixtureGroup(t, db, `{"heartbeat_interval_s": 10, "stale_after_s": 30, "offline_after_s": 100}`)
	hbOnly := fixtureGroup(t, db, `{"heartbeat_interval_s": 20}`) // stale after 60 s
	want := map[domain.ID]string{}
	add := func(g domain.ID, status string, hb time.Time, wantStatus string) domain.ID {
		id := fixtureAgent(t, db, g, status, hb)
		want[id] = wantStatus
		return id
	}
	add(defaults, "active", ago(10*time.Second), "active")
	silent := add(defaults, "active", ago(200*time.Second), "stale")
	add(defaults, "active", ago(2*24*time.Hour), "offline")
	add(defaults, "stale", ago(2*24*time.Hour), "offline")
	add(defaults, "stale", ago(200*time.Second), "stale") // no transition, no audit
	add(defaults, "offline", ago(3*24*time.Hour), "offline")
	add(defaults, "decommissioned", ago(3*24*time.Hour), "decommissioned")
	add(tight, "active", ago(40*time.Second), "stale")
	add(tight, "active", ago(101*time.Second), "offline")
	add(tight, "active", ago(20*time.Second), "active")
	add(hbOnly, "active", ago(61*time.Second), "stale")
	add(hbOnly, "active", ago(59*time.Second), "active")

	subscribed := fixtureWebhook(t, db, "https://siem.example/h", true, "agent.status_changed")
	other := fixtureWebhook(t, db, "https://other.example/h", true, "user.created")
	off := fixtureWebhook(t, db, "https://off.example/h", false)

	scan := application.DetectStaleAgents{Tx: postgres.NewTxRunner(db), Liveness: postgres.NewAgentLiveness(db), Clock: fixedClock{now}}
	res, err := scan.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stale < 3 || res.Offline < 3 {
		t.Errorf("result %+v, want at least 3 stale and 3 offline", res)
	}
	transitions := 0
	for id, st := range want {
		var got string
		if err := db.NewRaw(`SELECT status FROM agents WHERE id = ?`, id.String()).Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got != st {
			t.Errorf("agent %s: status %s, want %s", id, got, st)
		}
		events := countRows(t, db, `SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ?`, id.String())
		moved := countRows(t, db, `SELECT count(*) FROM audit_log WHERE target_id = ? AND details->>'to' = ?`, id.String(), st)
		if events != moved {
			t.Errorf("agent %s: %d events, %d to %s", id, events, moved, st)
		}
		transitions += events
	}
	if transitions != 6 {
		t.Errorf("%d audited transitions, want 6", transitions)
	}
	deliveries := countRows(t, db, `SELECT count(*) FROM webhook_deliveries d JOIN audit_log a ON a.id = d.audit_id
		WHERE d.webhook_id = ? AND a.event_type = 'agent.status_changed' AND a.created_at = ?`, subscribed.String(), now)
	if deliveries < 6 {
		t.Errorf("%d deliveries to the subscribed webhook, want one per transition", deliveries)
	}
	for _, w := range []domain.ID{other, off} {
		if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?`, w.String()); n != 0 {
			t.Errorf("webhook %s got %d deliveries", w, n)
		}
	}
	var detail struct {
		ActorType string `bun:"actor_type"`
		GroupID   string `bun:"group_id"`
		From      string `bun:"from"`
	}
	if err := db.NewRaw(`SELECT actor_type, group_id::text, details->>'from' AS from FROM audit_log WHERE target_id = ?`,
		silent.String()).Scan(ctx, &detail); err != nil {
		t.Fatal(err)
	}
	if detail.ActorType != "system" || detail.GroupID != defaults.String() || detail.From != "active" {
		t.Errorf("audit row %+v", detail)
	}

	// A second scan at the same time changes and audits nothing more.
	if _, err := scan.Execute(ctx); err != nil {
		t.Fatal(err)
	}
	again := 0
	for id := range want {
		again += countRows(t, db, `SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ?`, id.String())
	}
	if again != transitions {
		t.Errorf("second scan audited %d more transitions", again-transitions)
	}
}

func TestStaleAgentRecoversOnHeartbeatAndGoesStaleAgain(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	g := fixtureGroup(t, db, `{}`)
	id := fixtureAgent(t, db, g, "active", now.Add(-10*time.Minute))
	liveness := postgres.NewAgentLiveness(db)
	status := func() string {
		var s string
		if err := db.NewRaw(`SELECT status FROM agents WHERE id = ?`, id.String()).Scan(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := liveness.MarkSilentAgents(ctx, now); err != nil || status() != "stale" {
		t.Fatalf("scan: %v, status %s", err, status())
	}
	// The agent API's heartbeat flush brings it back.
	revived, err := applyHeartbeats(ctx, postgres.NewHeartbeatStore(db), []application.HeartbeatUpdate{{AgentID: id, Heartbeat: now}})
	if err != nil || len(revived) != 1 || status() != "active" {
		t.Fatalf("heartbeat: %v %v, status %s", revived, err, status())
	}
	if _, err := liveness.MarkSilentAgents(ctx, now.Add(time.Minute)); err != nil || status() != "active" {
		t.Fatalf("scan right after the heartbeat: %v, status %s", err, status())
	}
	if _, err := liveness.MarkSilentAgents(ctx, now.Add(4*time.Minute)); err != nil || status() != "stale" {
		t.Fatalf("scan after silence: %v, status %s", err, status())
	}
	if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE event_type = 'agent.status_changed' AND target_id = ? AND details->>'to' = 'stale'`, id.String()); n != 2 {
		t.Errorf("%d active→stale events, want 2 (one per transition)", n)
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
