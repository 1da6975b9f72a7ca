package report

import (
	"strings"

	"github.com/extguard/extguard/domain"
)

// NativePolicy is what an agent found of the editors' own AllowedExtensions policy installed on
// its machine (by MDM, Group Policy or /etc/vscode/policy.json): whether it is there, where, and
// its SHA-256 digests, of the installed file and of the AllowedExtensions value alone.
type NativePolicy struct {
	present                 bool
	source                  string
	sha256                  string
	allowedExtensionsSHA256 string
	errText                 string
}

// NativePolicyParams is the native policy as the agent sent it.
type NativePolicyParams struct {
	Present                 bool
	Source                  string
	SHA256                  string
	AllowedExtensionsSHA256 string
	Error                   string
}

const (
	maxNativePolicySource = 512
	maxNativePolicyError  = 512
)

// NewNativePolicy validates one; field names are relative ("sha256"). A digest is a hex SHA-256
// (stored lowercase) or empty; a policy that is not present has no digest.
func NewNativePolicy(p NativePolicyParams) (NativePolicy, error) {
	var fe domain.FieldErrors
	n := NativePolicy{present: p.Present, source: strings.TrimSpace(p.Source)}
	if len(n.source) > maxNativePolicySource {
		fe.Add("source", "must be at most 512 characters")
	}
	fe.CheckText("source", n.source)
	n.errText = strings.TrimSpace(p.Error)
	if len(n.errText) > maxNativePolicyError {
		// The agent's own words (a path, an OS error): kept, bounded, cut between characters.
		n.errText = strings.ToValidUTF8(n.errText[:maxNativePolicyError], "")
	}
	fe.CheckText("error", n.errText)
	n.sha256 = nativeDigest(&fe, "sha256", p.SHA256, p.Present)
	n.allowedExtensionsSHA256 = nativeDigest(&fe, "allowed_extensions_sha256", p.AllowedExtensionsSHA256, p.Present)
	if err := fe.Err("invalid native policy"); err != nil {
		return NativePolicy{}, err
	}
	return n, nil
}

func nativeDigest(fe *domain.FieldErrors, field, raw string, present bool) string {
	if raw == "" {
		return ""
	}
	d, ok := domain.NormalizeSHA256(raw)
	switch {
	case !ok:
		fe.Add(field, "must be a hex SHA-256 digest")
	case !present:
		fe.Add(field, "must be empty when the policy is not present")
	}
	return d
}

func (n NativePolicy) Present() bool                   { return n.present }
func (n NativePolicy) Source() string                  { return n.source }
func (n NativePolicy) SHA256() string                  { return n.sha256 }
func (n NativePolicy) AllowedExtensionsSHA256() string { return n.allowedExtensionsSHA256 }
func (n NativePolicy) Error() string                   { return n.errText }
