// Package sbom writes software bills of materials of installed editor
// extensions as CycloneDX 1.6 JSON, with the CycloneDX Go library's types.
// The document is written as a stream: the envelope by hand, each component
// through the JSON encoder as its page arrives, so a fleet's SBOM never sits
// in memory whole (the library's encoder takes a whole BOM).
package sbom

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/extguard/extguard/application"
)

// MediaType is the answer's content type.
const MediaType = "application/vnd.cyclonedx+json; version=1.6"

// Property names (CycloneDX's property taxonomy lets tools use their own
// prefix).
const (
	PropEditor      = "extguard:editor"
	PropMachine     = "extguard:machine_id"
	PropDisplayName = "extguard:machine_name"
	PropAgent       = "extguard:agent_id"
	PropGroup       = "extguard:group_id"
)

// PackageURL is the purl of an extension version:
// pkg:vscode-extension/<publisher>/<name>@<version>. Ids are lower-case
// letters, digits, hyphens and one dot, and versions printable without
// spaces; the version is percent-encoded all the same.
func PackageURL(extensionID, version string) string {
	pub, name := splitID(extensionID)
	p := "pkg:vscode-extension/" + pub + "/" + name
	if version != "" {
		p += "@" + escape(version)
	}
	return p
}

func splitID(id string) (string, string) {
	for i := 0; i < len(id); i++ {
		if id[i] == '.' {
			return id[:i], id[i+1:]
		}
	}
	return id, ""
}

// escape percent-encodes what a purl version may not hold as it is.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~' || c == '+' {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hex[c>>4], hex[c&15])
	}
	return string(out)
}

// envelope is the BOM without its components, which Write streams.
type envelope struct {
	Schema       string       `json:"$schema"`
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	SerialNumber string       `json:"serialNumber"`
	Version      int          `json:"version"`
	Metadata     cdx.Metadata `json:"metadata"`
}

// Write writes the stream's SBOM to w. A read error after the first bytes
// leaves the document unterminated (the client sees invalid JSON, never a
// silently short SBOM); it is returned for the log.
func Write(w io.Writer, s application.SBOMStream, readPages func(fn func([]application.SBOMItem) error) error, toolVersion string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := json.Marshal(envelope{Schema: "http://cyclonedx.org/schema/bom-1.6.schema.json", BOMFormat: cdx.BOMFormat,
		SpecVersion: "1.6", SerialNumber: "urn:uuid:" + uuid.NewString(), Version: 1, Metadata: metadata(s, toolVersion)})
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1]) // reopen the object for the components
	bw.WriteString(`,"components":[`)
	enc := json.NewEncoder(bw)
	first := true
	err = readPages(func(page []application.SBOMItem) error {
		for _, it := range page {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			if err := enc.Encode(component(it)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = bw.Flush()
		return errors.Join(errors.New("sbom: stream broken off"), err)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

func metadata(s application.SBOMStream, toolVersion string) cdx.Metadata {
	subject := &cdx.Component{Type: cdx.ComponentTypeDevice, Name: "fleet", BOMRef: "subject"}
	switch {
	case !s.Scope.AgentID.IsZero():
		subject = &cdx.Component{Type: cdx.ComponentTypeDevice, Name: s.Subject, BOMRef: "agent:" + s.Scope.AgentID.String(),
			Properties: &[]cdx.Property{{Name: PropAgent, Value: s.Scope.AgentID.String()}}}
	case !s.Scope.GroupID.IsZero():
		subject = &cdx.Component{Type: cdx.ComponentTypeDevice, Name: s.Subject, BOMRef: "group:" + s.Scope.GroupID.String(),
			Properties: &[]cdx.Property{{Name: PropGroup, Value: s.Scope.GroupID.String()}}}
	}
	return cdx.Metadata{Timestamp: s.GeneratedAt.UTC().Format(time.RFC3339), Component: subject,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "extguard", Version: toolVersion}}}}
}

func component(it application.SBOMItem) cdx.Component {
	pub, name := splitID(it.ExtensionID)
	purl := PackageURL(it.ExtensionID, it.Version)
	c := cdx.Component{
		// One component per installation: the same version on two machines
		// is two components, told apart by the machine they are on.
		BOMRef:     it.AgentID.String() + "/" + it.Editor + "/" + purl,
		Type:       cdx.ComponentTypeApplication,
		Group:      pub,
		Name:       name,
		Version:    it.Version,
		PackageURL: purl,
		Properties: &[]cdx.Property{{Name: PropEditor, Value: it.Editor}, {Name: PropMachine, Value: it.MachineID},
			{Name: PropDisplayName, Value: it.DisplayName}, {Name: PropAgent, Value: it.AgentID.String()},
			{Name: PropGroup, Value: it.GroupID.String()}},
	}
	if it.ContentSHA256 != "" {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: it.ContentSHA256}}
	}
	return c
}
