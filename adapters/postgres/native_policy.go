package postgres

import (
	"encoding/json"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain/report"
)

// nativePolicyDoc is agent_verdicts.native_policy.
type nativePolicyDoc struct {
	Present                 bool   `json:"present"`
	Source                  string `json:"source"`
	SHA256                  string `json:"sha256,omitempty"`
	AllowedExtensionsSHA256 string `json:"allowed_extensions_sha256,omitempty"`
	Error                   string `json:"error,omitempty"`
}

// nativePolicyJSON is the column's value for a report: NULL when the agent said nothing.
func nativePolicyJSON(r report.Report) *string {
	n, ok := r.NativePolicy()
	if !ok {
		return nil
	}
	b, _ := json.Marshal(nativePolicyDoc{Present: n.Present(), Source: n.Source(), SHA256: n.SHA256(),
		AllowedExtensionsSHA256: n.AllowedExtensionsSHA256(), Error: n.Error()})
	s := string(b)
	return &s
}

func nativePolicyOf(raw []byte) (*application.InstalledNativePolicy, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var d nativePolicyDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	return &application.InstalledNativePolicy{Present: d.Present, Source: d.Source, SHA256: d.SHA256,
		AllowedExtensionsSHA256: d.AllowedExtensionsSHA256, Error: d.Error}, nil
}
