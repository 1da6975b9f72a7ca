package httpapi

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/gofiber/fiber/v2"
)

// nativePolicyDoc is the editor policy installed on an agent's machine (protocol
// agentv1.InstalledNativePolicy) and whether it is the group's current export.
type nativePolicyDoc struct {
	Present                 bool    `json:"present"`
	Source                  string  `json:"source"`
	SHA256                  *string `json:"sha256"`
	AllowedExtensionsSHA256 *string `json:"allowed_extensions_sha256"`
	Error                   *string `json:"error"`
	// MatchesGroupExport: the installed AllowedExtensions value is the one
	// GET /api/v1/groups/{id}/policy/vscode answers now; null when nothing is
	// installed, the agent could not read it, or the group is gone.
	MatchesGroupExport *bool `json:"matches_group_export"`
}

func (a *Admin) nativePolicyDoc(c *fiber.Ctx, d application.AgentDetail) (*nativePolicyDoc, error) {
	if d.Verdict == nil || d.Verdict.NativePolicy == nil {
		return nil, nil
	}
	n := d.Verdict.NativePolicy
	doc := &nativePolicyDoc{Present: n.Present, Source: n.Source, SHA256: optString(n.SHA256),
		AllowedExtensionsSHA256: optString(n.AllowedExtensionsSHA256), Error: optString(n.Error)}
	if !n.Present || n.AllowedExtensionsSHA256 == "" {
		return doc, nil
	}
	p, err := a.uc.ViewGroupPolicy.Execute(c.UserContext(), d.Agent.GroupID())
	switch {
	case domain.CodeOf(err) == domain.CodeNotFound:
		return doc, nil
	case err != nil:
		return nil, err
	}
	// Only the value is compared; Translate's second result lists what the
	// export cannot say, which is no error and does not change the value.
	value, _ := vscodepolicy.Translate(p)
	sum := sha256.Sum256([]byte(value))
	match := hex.EncodeToString(sum[:]) == n.AllowedExtensionsSHA256
	doc.MatchesGroupExport = &match
	return doc, nil
}
