// Package sbomtest validates SBOMs against the CycloneDX 1.6 JSON schema,
// for the tests of the packages that write them.
package sbomtest

import (
	"bytes"
	"embed"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed testdata/cyclonedx-1.6/*.json
var schemas embed.FS

var compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

const base = "http://cyclonedx.org/schema/"

func load() (*jsonschema.Schema, error) {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		for _, name := range []string{"spdx.schema.json", "jsf-0.82.schema.json", "bom-1.6.schema.json"} {
			raw, err := schemas.ReadFile("testdata/cyclonedx-1.6/" + name)
			if err != nil {
				compiled.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compiled.err = err
				return
			}
			if err := c.AddResource(base+name, doc); err != nil {
				compiled.err = err
				return
			}
		}
		compiled.schema, compiled.err = c.Compile(base + "bom-1.6.schema.json")
	})
	return compiled.schema, compiled.err
}

// Check answers why doc is not a valid CycloneDX 1.6 JSON BOM, or nil.
func Check(doc []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// Validate fails t unless doc is a valid CycloneDX 1.6 JSON BOM.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	if err := Check(doc); err != nil {
		t.Fatalf("SBOM is not valid CycloneDX 1.6: %v\n%.2000s", err, doc)
	}
}
