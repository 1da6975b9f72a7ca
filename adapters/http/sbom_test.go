package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/sbom/sbomtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

type sbomDoc struct {
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Component struct {
			Name string `json:"name"`
		} `json:"component"`
	} `json:"metadata"`
	Components []struct {
		BOMRef string `json:"bom-ref"`
		Purl   string `json:"purl"`
		Hashes []struct {
			Alg     string `json:"alg"`
			Content string `json:"content"`
		} `json:"hashes"`
		Properties []struct{ Name, Value string } `json:"properties"`
	} `json:"components"`
}

func (d sbomDoc) purls() map[string]bool {
	out := map[string]bool{}
	for _, c := range d.Components {
		out[c.Purl] = true
	}
	return out
}

// An agent's, a group's and the fleet's SBOMs are valid CycloneDX 1.6 with
// one component per installed extension (purl, content digest, editor and
// machine); the fleet's spans several pages of the reader.
func TestSBOMsValidateAgainstCycloneDX16(t *testing.T) {
	db := testDB(t)
	ae := newAdminEnvOn(t, db)
	ge := newAgentEnv(t, envOptions{db: db})
	g, other := ge.group(`{"mode":"blocklist"}`), ge.group(`{"mode":"blocklist"}`)
	key, otherKey := ge.key(g), ge.key(other)
	agent, bulk := ge.enroll(key, "m-sbom-1"), ge.enroll(otherKey, "m-sbom-bulk")
	digest := strings.Repeat("c0", 32)
	a := ge.call("POST", "/api/v1/agent/reports", key, agent, reportBody(time.Now().Add(-time.Second),
		`{"extension_id":"ms-python.python","installed":true,"version":"2024.2.1","sha256":"`+digest+`","editor":"cursor"}`,
		installed("redhat.yaml", "1.14.0")))
	if a.status != 200 {
		t.Fatalf("report: %d %s", a.status, a.body)
	}
	// More installations than one page of the reader holds.
	ge.exec(`INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
		SELECT ?, 'vscode', 'bulk.ext-' || n, ?, '1.0.' || n, now() FROM generate_series(1, 1100) AS n`, bulk, other.String())

	get := func(path string) sbomDoc {
		t.Helper()
		r := ae.as(user.RoleViewer, "GET", path, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/vnd.cyclonedx+json") {
			t.Fatalf("%s: %d %s %.300s", path, r.status, r.header.Get("Content-Type"), r.body)
		}
		sbomtest.Validate(t, r.body)
		var d sbomDoc
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := get("/api/v1/agents/" + agent + "/sbom")
	if d.SpecVersion != "1.6" || len(d.Components) != 2 || d.Metadata.Component.Name != "m-sbom-1" {
		t.Fatalf("agent SBOM %+v", d)
	}
	c := d.Components[0]
	props := map[string]string{}
	for _, p := range c.Properties {
		props[p.Name] = p.Value
	}
	if c.Purl != "pkg:vscode-extension/ms-python/python@2024.2.1" || len(c.Hashes) != 1 || c.Hashes[0].Content != digest ||
		props["extguard:editor"] != "cursor" || props["extguard:machine_id"] != "m-sbom-1" || props["extguard:group_id"] != g.String() {
		t.Fatalf("component %+v", c)
	}
	if gd := get("/api/v1/groups/" + g.String() + "/sbom"); len(gd.Components) != 2 || !gd.purls()["pkg:vscode-extension/redhat/yaml@1.14.0"] {
		t.Fatalf("group SBOM %+v", gd)
	}
	fleet := get("/api/v1/sbom")
	refs := map[string]bool{}
	for _, c := range fleet.Components {
		if refs[c.BOMRef] {
			t.Fatalf("bom-ref %s twice", c.BOMRef)
		}
		refs[c.BOMRef] = true
	}
	if p := fleet.purls(); !p["pkg:vscode-extension/bulk/ext-1100@1.0.1100"] || !p["pkg:vscode-extension/ms-python/python@2024.2.1"] ||
		len(fleet.Components) < 1102 {
		t.Fatalf("fleet SBOM has %d components", len(fleet.Components))
	}
	if r := ae.as(user.RoleViewer, "GET", "/api/v1/agents/"+domain.NewID().String()+"/sbom", ""); r.status != 404 {
		t.Fatalf("unknown agent: %d", r.status)
	}
}
