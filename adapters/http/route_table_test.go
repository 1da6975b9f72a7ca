package httpapi

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/extguard/extguard/application"
)

// TestOneRouteTableForBothAPIs: the agent protocol's routes are rows of the
// same table as the admin API's: the agent module mounts exactly its rows,
// the admin module exactly the others, and the document has every row.
func TestOneRouteTableForBothAPIs(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	admin, agentAPI := NewAdmin(&application.Application{}, log), NewAgentAPI(&application.Application{})
	var agentRows, adminRows []string
	for _, r := range routeTable(admin, agentAPI) {
		key := r.Method + " " + fiberPath(r.Path)
		if r.Permission == PermAgentKey {
			agentRows = append(agentRows, key)
		} else {
			adminRows = append(adminRows, key)
		}
	}
	if len(agentRows) != 6 {
		t.Fatalf("agent rows %v, want the protocol's 6 routes", agentRows)
	}
	mounted := func(m Module) []string {
		var out []string
		for _, r := range NewApp(DefaultServerConfig(), log, m).GetRoutes(true) {
			if r.Method != "HEAD" && r.Path != "/" { // HEAD mirrors GET; "/" is the 404/405 fallback
				out = append(out, r.Method+" "+r.Path)
			}
		}
		return out
	}
	for name, c := range map[string]struct{ got, want []string }{
		"agent": {mounted(agentAPI), agentRows}, "admin": {mounted(admin), adminRows},
	} {
		slices.Sort(c.got)
		slices.Sort(c.want)
		if !slices.Equal(c.got, c.want) {
			t.Errorf("the %s module mounts %v, its rows are %v", name, c.got, c.want)
		}
	}
	paths := admin.OpenAPI()["paths"].(jsonObject)
	for _, r := range routeTable(admin, agentAPI) {
		if item, _ := paths[r.Path].(jsonObject); item == nil {
			t.Errorf("%s %s is not in the document", r.Method, r.Path)
		}
	}
}
