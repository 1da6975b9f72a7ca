package httpapi

import (
	"bytes"
	"errors"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
	"github.com/extguard/extguard/protocol/agentv1"
)

// The agent protocol's wire shapes are package agentv1's, shared with the
// agent; this file maps them onto the use cases' values. Unknown request
// fields are ignored so newer agents keep working.

func policyDocument(cp application.CompiledPolicy) agentv1.Policy {
	p := cp.Policy
	out := agentv1.Policy{ETag: p.ETag, GroupID: p.GroupID.String(), Mode: string(p.Mode),
		Enforcement: string(p.Enforcement), GeneratedAt: cp.GeneratedAt.UTC().Truncate(time.Second),
		Required: make([]agentv1.RequiredExtension, len(p.Required)), Allowed: make([]agentv1.AllowedExtension, len(p.Allowed)),
		Blocked: make([]agentv1.BlockedPattern, len(p.Blocked))}
	for i, r := range p.Required {
		out.Required[i] = agentv1.RequiredExtension{ExtensionID: r.ExtensionID.String(), Version: optString(r.Version),
			SHA256: optString(r.SHA256), ContentSHA256: optString(r.ContentSHA256), DownloadURL: optString(r.DownloadURL)}
	}
	for i, a := range p.Allowed {
		out.Allowed[i] = agentv1.AllowedExtension{ExtensionID: a.ExtensionID.String(), Version: optString(a.Version),
			ContentSHA256: optString(a.ContentSHA256)}
	}
	for i, b := range p.Blocked {
		out.Blocked[i] = agentv1.BlockedPattern{PatternType: string(b.PatternType), Pattern: b.Pattern, Reason: b.Reason}
	}
	// Block advisories of every version are blocks an agent can enforce
	// offline; those of some versions only reach it as verdicts.
	for _, a := range p.Advisories {
		if b, ok := a.AsBlockRule(); ok {
			out.Blocked = append(out.Blocked, agentv1.BlockedPattern{PatternType: string(b.PatternType), Pattern: b.Pattern, Reason: b.Reason})
		}
	}
	return out
}

// reportParams is what the domain validates of a report.
func reportParams(r agentv1.Report) report.ReportParams {
	items := make([]report.ItemParams, len(r.Extensions))
	for i, it := range r.Extensions {
		items[i] = report.ItemParams{ExtensionID: it.ExtensionID, Installed: it.Installed, Version: it.Version,
			SHA256: it.SHA256, Editor: it.Editor}
	}
	p := report.ReportParams{ReportedAt: r.ReportedAt, PolicyETag: r.PolicyETag, Items: items}
	if n := r.NativePolicy; n != nil {
		p.NativePolicy = &report.NativePolicyParams{Present: n.Present, Source: n.Source, SHA256: n.SHA256,
			AllowedExtensionsSHA256: n.AllowedExtensionsSHA256, Error: n.Error}
	}
	return p
}

func verdictResponse(v policy.Verdict) agentv1.Verdict {
	out := agentv1.Verdict{Compliant: v.Compliant, Violations: make([]agentv1.Violation, len(v.Violations)),
		Actions: make([]agentv1.Action, len(v.Actions))}
	for i, x := range v.Violations {
		d := agentv1.Violation{ExtensionID: x.ExtensionID.String(), Kind: string(x.Kind), Detail: x.Detail}
		for _, e := range x.Editors {
			d.Editors = append(d.Editors, string(e))
		}
		out.Violations[i] = d
	}
	for i, a := range v.Actions {
		out.Actions[i] = agentv1.Action{Action: string(a.Action), ExtensionID: a.ExtensionID.String(), Version: a.Version,
			DownloadURL: a.DownloadURL, SHA256: a.SHA256}
	}
	return out
}

// decodeAgentBody reads a JSON body with the app's decoder (goccy/go-json), so
// a type error names the field and never echoes Go type names. An empty
// body is refused when required and is "{}" otherwise.
func decodeAgentBody(c *fiber.Ctx, v any, required bool) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return domain.Invalid("a JSON body is required")
		}
		return nil
	}
	if err := jsonDecode(body, v); err != nil {
		return agentBodyError(err)
	}
	return nil
}

func agentBodyError(err error) error {
	var te *gojson.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return domain.Invalid("malformed JSON body", domain.FieldError{Field: field, Message: "must be " + jsonTypeName(te.Type)})
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return domain.Invalid("malformed JSON body", domain.FieldError{Field: "reported_at",
			Message: "must be an RFC 3339 timestamp such as 2026-11-26T17:00:05Z"})
	}
	return domain.Invalid("the body is not valid JSON")
}
