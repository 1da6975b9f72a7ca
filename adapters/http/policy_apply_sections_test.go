package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// applyFile plans file and applies it at the plan's revision.
func applyFile(e *adminEnv, file string, prune bool) answer {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"file": file, "prune": prune})
	revision := e.must(200, "POST", "/api/v1/policy/plan", string(b))["revision"].(string)
	b, _ = json.Marshal(map[string]any{"file": file, "prune": prune, "revision": revision})
	return e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", string(b))
}

// TestPolicyApplyOfEverySection: one file creates a group, a catalog entry
// and its assignment to that group (in that order, in one transaction),
// audited with one change_set_id; the same file again changes nothing; a
// change is one audited update; a REST change since the plan is refused
// with 409; prune deletes what the file leaves out in the sections it
// holds, and refuses to delete a group that has agents.
func TestPolicyApplyOfEverySection(t *testing.T) {
	e := newAdminEnvOn(t, pgtest.PrivateDB(t)) // it prunes every group it leaves out
	name, tool := uniqueName("laptops"), strings.ToLower(uniqueName("acme"))+".tool"
	file := fmt.Sprintf(`version: 1
groups:
  - {name: %s, description: dev machines, settings: {mode: blocklist, enforcement: enforce}}
catalog:
  - {extension_id: %s, pinned_version: 1.2.3}
assignments:
  - {group: %s, extension_id: %s, required: true}
`, name, tool, name, tool)
	done := applyFile(e, file, false)
	if done.status != 200 {
		t.Fatalf("apply: %d %s", done.status, done.body)
	}
	doc := done.json(t)
	set, _ := doc["change_set_id"].(string)
	changes := doc["changes"].([]any)
	if set == "" || len(changes) != 3 {
		t.Fatalf("applied %v", doc)
	}
	for i, want := range []string{"group", "catalog", "assignment"} {
		if ch := changes[i].(map[string]any); ch["resource"] != want || ch["action"] != "create" {
			t.Fatalf("change %d: %v, want a %s create", i, ch, want)
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE details->>'change_set_id' = ?
		AND event_type IN ('group.created', 'extension.created', 'assignment.set')`, set); n != 3 {
		t.Fatalf("%d audit rows carry the change set, want 3", n)
	}
	if e.count(`SELECT count(*) FROM groups g JOIN group_extensions ge ON ge.group_id = g.id JOIN extensions x ON x.id = ge.extension_id
		WHERE g.name = ? AND g.settings->>'enforcement' = 'enforce' AND x.extension_id = ? AND x.pinned_version = '1.2.3' AND ge.is_required`, name, tool) != 1 {
		t.Fatal("the group, entry and assignment are not stored as the file says")
	}
	audits := e.count(`SELECT count(*) FROM audit_log`)
	if again := applyFile(e, file, false); again.status != 200 || again.json(t)["change_set_id"] != nil || e.count(`SELECT count(*) FROM audit_log`) != audits {
		t.Fatalf("the same file again: %d %s", again.status, again.body)
	}

	changed := strings.Replace(strings.Replace(file, "required: true", "required: false", 1), "enforcement: enforce", "enforcement: audit", 1)
	if a := applyFile(e, changed, false); a.status != 200 || len(a.json(t)["changes"].([]any)) != 2 {
		t.Fatalf("a change: %d %s", a.status, a.body)
	}
	if e.count(`SELECT count(*) FROM groups WHERE name = ? AND settings->>'enforcement' = 'audit'`, name) != 1 {
		t.Fatal("the settings change is not stored")
	}

	// A REST change between plan and apply moves the revision: 409.
	b, _ := json.Marshal(map[string]any{"file": file})
	stale := e.must(200, "POST", "/api/v1/policy/plan", string(b))["revision"].(string)
	var groupID string
	if err := e.db.NewRaw(`SELECT id::text FROM groups WHERE name = ?`, name).Scan(e.t.Context(), &groupID); err != nil {
		t.Fatal(err)
	}
	e.must(200, "PATCH", "/api/v1/groups/"+groupID, `{"description":"changed through REST"}`)
	b, _ = json.Marshal(map[string]any{"file": file, "revision": stale})
	if a := e.as(user.RoleEditor, "POST", "/api/v1/policy/apply", string(b)); a.status != 409 ||
		e.count(`SELECT count(*) FROM groups WHERE name = ? AND settings->>'enforcement' = 'enforce'`, name) != 0 {
		t.Fatalf("apply after a REST change: %d %s", a.status, a.body)
	}

	// Prune: the group without agents goes, with its assignment; a group
	// with an enrolled agent is refused with 409 and nothing changes.
	other := uniqueName("ci")
	e.exec(`INSERT INTO groups (id, name, settings) VALUES (?, ?, '{}')`, domain.NewID().String(), other)
	busy := uniqueName("busy")
	busyID := domain.NewID().String()
	e.exec(`INSERT INTO groups (id, name, settings) VALUES (?, ?, '{}')`, busyID, busy)
	e.exec(`INSERT INTO agents (id, group_id, machine_id, display_name, status) VALUES (?, ?, ?, 'x', 'active')`, domain.NewID().String(), busyID, "m-"+busy)
	keepBusy := "version: 1\ngroups:\n  - {name: " + busy + "}\n"
	keepNone := "version: 1\ngroups: []\n"
	b, _ = json.Marshal(map[string]any{"file": keepNone, "prune": true})
	if p := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", string(b)); p.status != 409 || !strings.Contains(string(p.body), busy) {
		t.Fatalf("prune of a group with agents: %d %s", p.status, p.body)
	}
	pruned := applyFile(e, keepBusy, true)
	if pruned.status != 200 || e.count(`SELECT count(*) FROM groups WHERE name IN (?, ?) AND deleted_at IS NULL`, name, other) != 0 ||
		e.count(`SELECT count(*) FROM groups WHERE name = ? AND deleted_at IS NULL`, busy) != 1 ||
		e.count(`SELECT count(*) FROM extensions WHERE extension_id = ? AND deleted_at IS NULL`, tool) != 1 {
		t.Fatalf("prune of groups only: %d %s", pruned.status, pruned.body)
	}
	if e.count(`SELECT count(*) FROM group_extensions ge JOIN groups g ON g.id = ge.group_id WHERE g.name = ?`, name) != 0 {
		t.Fatal("the pruned group's assignment stays")
	}
}

// TestPolicyPlanRefusesReferencesToNothing: an assignment naming a group or
// catalog entry neither the file nor the server has is a 400 naming each path.
func TestPolicyPlanRefusesReferencesToNothing(t *testing.T) {
	e := newAdminEnv(t)
	file := "version: 1\nassignments:\n  - {group: " + uniqueName("nobody") + ", extension_id: no.where}\n"
	b, _ := json.Marshal(map[string]any{"file": file})
	a := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", string(b))
	got := problemFields(t, a)
	if a.status != 400 || len(got) != 2 || got[0] != "assignments[0].group" || got[1] != "assignments[0].extension_id" {
		t.Fatalf("%d %v", a.status, got)
	}
	bad := e.as(user.RoleViewer, "POST", "/api/v1/policy/plan", `{"file":"version: 1\ngroups:\n  - {name: x, settings: {mode: strict}}\n"}`)
	if got := problemFields(t, bad); bad.status != 400 || len(got) != 1 || got[0] != "groups[0].settings.mode" {
		t.Fatalf("%d %v", bad.status, got)
	}
}
