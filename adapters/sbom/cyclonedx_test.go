package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/adapters/sbom/sbomtest"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

func pages(items ...[]application.SBOMItem) func(fn func([]application.SBOMItem) error) error {
	return func(fn func([]application.SBOMItem) error) error {
		for _, p := range items {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestWriteIsValidCycloneDX16(t *testing.T) {
	agent, group := domain.NewID(), domain.NewID()
	it := application.SBOMItem{AgentID: agent, GroupID: group, MachineID: "m-1", DisplayName: "alice-laptop", Editor: "cursor",
		ExtensionID: "ms-python.python", Version: "2024.2.1", ContentSHA256: strings.Repeat("ab", 32)}
	other := it
	other.Editor, other.ExtensionID, other.Version, other.ContentSHA256 = "vscode", "evil.pack", "1.0.0-beta+x y", ""
	at := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	for _, s := range []application.SBOMStream{{Scope: application.SBOMScope{AgentID: agent}, Subject: "m-1", GeneratedAt: at},
		{Scope: application.SBOMScope{GroupID: group}, Subject: "engineering", GeneratedAt: at}, {GeneratedAt: at}} {
		var buf bytes.Buffer
		if err := Write(&buf, s, pages([]application.SBOMItem{it}, nil, []application.SBOMItem{other}), "1.2.3"); err != nil {
			t.Fatal(err)
		}
		sbomtest.Validate(t, buf.Bytes())
		var doc struct {
			SpecVersion string `json:"specVersion"`
			Components  []struct {
				Purl   string `json:"purl"`
				Hashes []struct {
					Alg     string `json:"alg"`
					Content string `json:"content"`
				} `json:"hashes"`
				Properties []struct{ Name, Value string } `json:"properties"`
			} `json:"components"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SpecVersion != "1.6" || len(doc.Components) != 2 {
			t.Fatalf("%s", buf.Bytes())
		}
		c := doc.Components[0]
		if c.Purl != "pkg:vscode-extension/ms-python/python@2024.2.1" || len(c.Hashes) != 1 || c.Hashes[0].Alg != "SHA-256" ||
			c.Hashes[0].Content != it.ContentSHA256 || c.Properties[0].Value != "cursor" || c.Properties[1].Value != "m-1" {
			t.Fatalf("%+v", c)
		}
		if doc.Components[1].Purl != "pkg:vscode-extension/evil/pack@1.0.0-beta+x%20y" || doc.Components[1].Hashes != nil {
			t.Fatalf("%+v", doc.Components[1])
		}
	}
	// An empty fleet is a valid, empty BOM.
	var buf bytes.Buffer
	if err := Write(&buf, application.SBOMStream{GeneratedAt: at}, pages(), "dev"); err != nil {
		t.Fatal(err)
	}
	sbomtest.Validate(t, buf.Bytes())
}

// A read that fails part-way leaves the document unterminated, never a
// short SBOM that looks whole.
func TestWriteBrokenOffIsNotValidJSON(t *testing.T) {
	var buf bytes.Buffer
	read := func(fn func([]application.SBOMItem) error) error {
		_ = fn([]application.SBOMItem{{AgentID: domain.NewID(), Editor: "vscode", ExtensionID: "a.b", Version: "1"}})
		return errors.New("database went away")
	}
	if err := Write(&buf, application.SBOMStream{}, read, "dev"); err == nil {
		t.Fatal("no error")
	}
	if json.Valid(buf.Bytes()) {
		t.Fatalf("a broken stream is valid JSON: %s", buf.Bytes())
	}
}
