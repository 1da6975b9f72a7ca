package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// TestVerdictInventorySelectsPerGroup: a plan reads, per group, only what
// that group's selection names: ids, whole publishers (the publisher
// column, the id's first segment) or every item. An id or a publisher
// selected for one group is not read for another group's agents (the
// query finds rows through the shared id and publisher lists, then keeps
// each by its own group's selection); retired agents and groups without a
// selection are left out; items carry their editor, version and digest;
// given agents, only theirs are read.
func TestVerdictInventorySelectsPerGroup(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	tag := domain.NewID().String()[24:]
	pa, pb := "pa-"+tag, "pb-"+tag
	one, two, other := pa+".one", pa+".two", pb+".one"
	a, b, c, d := fixtureGroup(t, db, "{}"), fixtureGroup(t, db, "{}"), fixtureGroup(t, db, "{}"), fixtureGroup(t, db, "{}")
	now := time.Now()
	install := func(groupID domain.ID, status string, ids ...string) domain.ID {
		t.Helper()
		agent := fixtureAgent(t, db, groupID, status, now)
		for i, id := range ids {
			if _, err := db.ExecContext(ctx, `INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, extension_sha256, reported_at)
VALUES (?, ?, ?, ?, ?, ?, now())`, agent.String(), []string{"vscode", "cursor"}[i%2], id, groupID.String(), fmt.Sprintf("1.%d.0", i), strings.Repeat("ab", 32)); err != nil {
				t.Fatal(err)
			}
		}
		return agent
	}
	a1 := install(a, "active", one, two, other)
	b1 := install(b, "active", one, other)
	c1 := install(c, "stale", two)
	c2 := install(c, "decommissioned", two)
	d1 := install(d, "active", one)
	mine := map[domain.ID]string{a1: "a1", b1: "b1", c1: "c1", c2: "c2", d1: "d1"}
	lines := func(invs []application.AgentInventory) []string {
		var out []string
		for _, inv := range invs {
			name, ok := mine[inv.AgentID]
			if !ok {
				continue // another test's agent
			}
			for _, it := range inv.Items {
				out = append(out, fmt.Sprintf("%s %v %s@%s %s %.4s", name, inv.GroupID == map[string]domain.ID{"a": a, "b": b, "c": c, "d": d}[name[:1]],
					it.ExtensionID(), it.Version(), it.Editor(), it.SHA256()))
			}
			if len(inv.Items) == 0 {
				out = append(out, name+" no items")
			}
		}
		slices.Sort(out)
		return out
	}
	inv := postgres.NewVerdictInventory(db)
	got, err := inv.Selected(ctx, []application.GroupSelection{
		{GroupID: a, ExtensionIDs: []string{one}},
		{GroupID: b, Publishers: []string{pb}},
		{GroupID: c, Whole: true},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a1 true " + one + "@1.0.0 vscode abab", "b1 true " + other + "@1.1.0 cursor abab", "c1 true " + two + "@1.0.0 vscode abab"}
	if g := lines(got); !slices.Equal(g, want) {
		t.Fatalf("selected\n got %v\nwant %v", g, want)
	}
	// Only the agents asked for: a2 has a1's selected item but is not asked.
	a2 := install(a, "active", one)
	mine[a2] = "a2"
	only, err := inv.Selected(ctx, []application.GroupSelection{{GroupID: a, ExtensionIDs: []string{one}}, {GroupID: b, Publishers: []string{pb}}},
		[]domain.ID{a1, b1})
	if g, want := lines(only), []string{"a1 true " + one + "@1.0.0 vscode abab", "b1 true " + other + "@1.1.0 cursor abab"}; err != nil || !slices.Equal(g, want) {
		t.Fatalf("selected of a1 and b1\n got %v %v\nwant %v", g, err, want)
	}
	whole, err := inv.Inventories(ctx, []domain.ID{a1})
	if g := lines(whole); err != nil || len(g) != 3 {
		t.Fatalf("a1's whole inventory: %v %v", g, err)
	}
	agents, err := inv.GroupAgents(ctx, []domain.ID{c})
	if g := lines(agents); err != nil || !slices.Equal(g, []string{"c1 no items"}) {
		t.Fatalf("group c's agents: %v %v", g, err)
	}
}
