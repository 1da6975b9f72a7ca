package httpapi_test

import (
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// The catalog entry shows what revalidation recorded of its package.
func TestCatalogEntryShowsItsCapabilities(t *testing.T) {
	e := newAdminEnv(t)
	ext := e.must(201, "POST", "/api/v1/extensions", `{"extension_id":"good.caps-`+domain.NewID().String()[24:]+`"}`)
	id := ext["id"].(string)
	if a := e.as(user.RoleViewer, "GET", "/api/v1/extensions/"+id+"/capabilities", ""); a.status != 404 {
		t.Fatalf("before any revalidation: %d", a.status)
	}
	e.exec(`INSERT INTO extension_capabilities (extension_id, version, capabilities, previous_version, added, recorded_at)
		VALUES (?, '1.3.0', '{"activation_events":["*"],"always_running":true,"extension_dependencies":[],"extension_pack":[],
		"enabled_api_proposals":[],"extension_kind":[],"executables":["bin/x.node"]}', '1.2.3',
		'["native or executable file bin/x.node"]', now())`, id)
	a := e.as(user.RoleViewer, "GET", "/api/v1/extensions/"+id+"/capabilities", "")
	doc := a.json(t)
	caps, _ := doc["capabilities"].(map[string]any)
	if a.status != 200 || doc["previous_version"] != "1.2.3" || caps["always_running"] != true || len(doc["added"].([]any)) != 1 {
		t.Fatalf("%d %s", a.status, a.body)
	}
}
