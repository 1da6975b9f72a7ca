package httpapi

import (
	"bytes"
	"errors"
	"reflect"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/policy"
	"github.com/extguard/extguard/domain/report"
)

// The agent protocol's wire shapes (agent-protocol.md). Fields may be
// added within v1, never renamed or removed; unknown request fields are
// ignored so newer agents keep working.

const headerAgentID = "X-Agent-ID"

type enrollRequest struct {
	MachineID    string `json:"machine_id"`
	UserHash     string `json:"user_hash"`
	DisplayName  string `json:"display_name"`
	Platform     string `json:"platform"`
	AgentVersion string `json:"agent_version"`
}

type enrollResponse struct {
	AgentID            string `json:"agent_id"`
	GroupID            string `json:"group_id"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
	PolicyETag         string `json:"policy_etag"`
}

type heartbeatRequest struct {
	AgentVersion string `json:"agent_version"`
}

type heartbeatResponse struct {
	PolicyETag         string `json:"policy_etag"`
	HeartbeatIntervalS int    `json:"heartbeat_interval_s"`
}

type policyResponse struct {
	ETag        string        `json:"etag"`
	GroupID     string        `json:"group_id"`
	Mode        string        `json:"mode"`
	Enforcement string        `json:"enforcement"`
	Required    []requiredDoc `json:"required"`
	Allowed     []allowedDoc  `json:"allowed"`
	Blocked     []blockedDoc  `json:"blocked"`
	GeneratedAt time.Time     `json:"generated_at"`
}

type requiredDoc struct {
	ExtensionID   string  `json:"extension_id"`
	Version       *string `json:"version"`
	SHA256        *string `json:"sha256"`
	ContentSHA256 *string `json:"content_sha256"`
	DownloadURL   *string `json:"download_url"`
}

type allowedDoc struct {
	ExtensionID   string  `json:"extension_id"`
	Version       *string `json:"version"`
	ContentSHA256 *string `json:"content_sha256"`
}

type blockedDoc struct {
	PatternType string `json:"pattern_type"`
	Pattern     string `json:"pattern"`
	Reason      string `json:"reason"`
}

func agentNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func policyDocument(cp application.CompiledPolicy) policyResponse {
	p := cp.Policy
	out := policyResponse{ETag: p.ETag, GroupID: p.GroupID.String(), Mode: string(p.Mode),
		Enforcement: string(p.Enforcement), GeneratedAt: cp.GeneratedAt.UTC().Truncate(time.Second),
		Required: make([]requiredDoc, len(p.Required)), Allowed: make([]allowedDoc, len(p.Allowed)),
		Blocked: make([]blockedDoc, len(p.Blocked))}
	for i, r := range p.Required {
		out.Required[i] = requiredDoc{ExtensionID: r.ExtensionID.String(), Version: agentNullable(r.Version),
			SHA256: agentNullable(r.SHA256), ContentSHA256: agentNullable(r.ContentSHA256), DownloadURL: agentNullable(r.DownloadURL)}
	}
	for i, a := range p.Allowed {
		out.Allowed[i] = allowedDoc{ExtensionID: a.ExtensionID.String(), Version: agentNullable(a.Version),
			ContentSHA256: agentNullable(a.ContentSHA256)}
	}
	for i, b := range p.Blocked {
		out.Blocked[i] = blockedDoc{PatternType: string(b.PatternType), Pattern: b.Pattern, Reason: b.Reason}
	}
	return out
}

type reportRequest struct {
	ReportedAt time.Time    `json:"reported_at"`
	PolicyETag string       `json:"policy_etag"`
	Extensions []reportItem `json:"extensions"`
}

type reportItem struct {
	ExtensionID string `json:"extension_id"`
	Installed   bool   `json:"installed"`
	Version     string `json:"version"`
	SHA256      string `json:"sha256"`
	Editor      string `json:"editor"`
}

func (r reportRequest) params() report.ReportParams {
	items := make([]report.ItemParams, len(r.Extensions))
	for i, it := range r.Extensions {
		items[i] = report.ItemParams{ExtensionID: it.ExtensionID, Installed: it.Installed, Version: it.Version,
			SHA256: it.SHA256, Editor: it.Editor}
	}
	return report.ReportParams{ReportedAt: r.ReportedAt, PolicyETag: r.PolicyETag, Items: items}
}

type verdictDoc struct {
	Compliant  bool           `json:"compliant"`
	Violations []violationDoc `json:"violations"`
	Actions    []actionDoc    `json:"actions"`
}

type violationDoc struct {
	ExtensionID string   `json:"extension_id"`
	Kind        string   `json:"kind"`
	Detail      string   `json:"detail"`
	Editors     []string `json:"editors,omitempty"`
}

type actionDoc struct {
	Action      string `json:"action"`
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version,omitempty"`
	DownloadURL string `json:"download_url,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
}

func verdictResponse(v policy.Verdict) verdictDoc {
	out := verdictDoc{Compliant: v.Compliant, Violations: make([]violationDoc, len(v.Violations)),
		Actions: make([]actionDoc, len(v.Actions))}
	for i, x := range v.Violations {
		d := violationDoc{ExtensionID: x.ExtensionID.String(), Kind: string(x.Kind), Detail: x.Detail}
		for _, e := range x.Editors {
			d.Editors = append(d.Editors, string(e))
		}
		out.Violations[i] = d
	}
	for i, a := range v.Actions {
		out.Actions[i] = actionDoc{Action: string(a.Action), ExtensionID: a.ExtensionID.String(), Version: a.Version,
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
		return domain.Invalid("malformed JSON body", domain.FieldError{Field: field, Message: "must be " + agentKindName(te.Type)})
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return domain.Invalid("malformed JSON body", domain.FieldError{Field: "reported_at",
			Message: "must be an RFC 3339 timestamp such as 2026-11-26T17:00:05Z"})
	}
	return domain.Invalid("the body is not valid JSON")
}

func agentKindName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	if t == reflect.TypeOf(time.Time{}) {
		return "an RFC 3339 timestamp"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}
