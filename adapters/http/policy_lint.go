package httpapi

import (
	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/gofiber/fiber/v2"
)

// policyLintRoutes: linting reads the posted file and nothing else, so it
// needs only the read permission (a POST because the input is a document).
func (a *Admin) policyLintRoutes() []route {
	return []route{
		{Method: fiber.MethodPost, Path: "/api/v1/policy/lint-vscode", Permission: PermRead, Tag: "policy",
			Summary: "Lint a deployed AllowedExtensions value (policy.json, the value, .reg or .mobileconfig text) for what VS Code reads as fail-open or over-broad (writes nothing)",
			Body:    "PolicyLintRequest", Status: fiber.StatusOK, Response: "PolicyLint", handle: a.lintVSCodePolicy},
	}
}

type policyLintRequest struct {
	Content string `json:"content"` // the file's text (a UTF-16 .reg decoded first)
}

type policyLintDoc struct {
	Format   string           `json:"format"`
	Value    string           `json:"value"`
	Findings []lintFindingDoc `json:"findings"`
}

type lintFindingDoc struct {
	Key    string `json:"key"`
	Effect string `json:"effect"`
	Reason string `json:"reason"`
}

func (a *Admin) lintVSCodePolicy(c *fiber.Ctx) error {
	var in policyLintRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	l, err := vscodepolicy.Lint([]byte(in.Content))
	return respond(c, l, err, policyLintDocOf)
}

func policyLintDocOf(l vscodepolicy.Linted) policyLintDoc {
	d := policyLintDoc{Format: l.Format, Value: l.Value, Findings: make([]lintFindingDoc, len(l.Findings))}
	for i, f := range l.Findings {
		d.Findings[i] = lintFindingDoc{Key: f.Key, Effect: string(f.Effect), Reason: f.Reason}
	}
	return d
}
