package console_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// TestOverviewNumbersAreTheAPIs: the overview's fleet tiles and a group's
// share row show what the REST API's compliance endpoints answer (the
// FleetCompliance and GroupCompliance use cases behind GET
// /api/v1/compliance and /api/v1/groups/{id}/compliance), once the group
// has a compliant agent, a non-compliant one, one that never reported and a
// decommissioned compliant one whose verdict must no longer count. The
// console's tests run one at a time, so nothing else writes between the
// page and the use cases.
func TestOverviewNumbersAreTheAPIs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.group("overview")
	for _, m := range []string{"ok", "bad", "silent", "gone"} {
		e.enroll(g, "ov-"+m, "m-ov-"+m+e.ip)
	}
	for m, compliant := range map[string]bool{"ok": true, "bad": false, "gone": true} {
		if _, err := e.db.ExecContext(ctx, `INSERT INTO agent_verdicts (agent_id, group_id, reported_at, compliant, violations)
			SELECT id, group_id, now(), ?, CASE WHEN ? THEN '[]'::jsonb ELSE '[{"kind":"unapproved","extension_id":"ov.pack"}]'::jsonb END
			FROM agents WHERE machine_id = ?`, compliant, compliant, "m-ov-"+m+e.ip); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.ExecContext(ctx, `UPDATE agents SET status = 'decommissioned' WHERE machine_id = ?`, "m-ov-gone"+e.ip); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(user.RoleViewer)
	a := b.do("GET", "/console/", nil)
	if a.status != http.StatusOK {
		t.Fatalf("overview: %d", a.status)
	}
	fleet, err := e.uc.FleetCompliance.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]int{"agents": fleet.Agents, "compliant": fleet.Compliant,
		"not compliant": fleet.NonCompliant, "not reported": fleet.NotReported} {
		if tile := fmt.Sprintf("<li><strong>%d</strong> %s</li>", want, label); !strings.Contains(a.body, tile) {
			t.Errorf("the overview has no %q, as GET /api/v1/compliance says", tile)
		}
	}
	sum, err := e.uc.GroupCompliance.Execute(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Agents != 3 || sum.Compliant != 1 || sum.NonCompliant != 1 || sum.NotReported != 1 {
		t.Fatalf("the group's summary %+v: want 3 agents, 1 compliant, 1 not, 1 not reported", sum)
	}
	row := regexp.MustCompile(`<a href="/console/groups/` + g.String() + `">[^<]*</a></td><td>(\d+)</td><td>(\d+)</td>`).FindStringSubmatch(a.body)
	if row == nil {
		t.Fatalf("no share row for the group: %.3000s", a.body)
	}
	if agents, _ := strconv.Atoi(row[1]); agents != sum.Agents {
		t.Errorf("share row: %s agents, the API says %d", row[1], sum.Agents)
	}
	if compliant, _ := strconv.Atoi(row[2]); compliant != sum.Compliant {
		t.Errorf("share row: %s compliant, the API says %d", row[2], sum.Compliant)
	}
}
