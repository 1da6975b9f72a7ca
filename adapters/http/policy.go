package httpapi

import (
	"strings"
	"time"

	"github.com/extguard/extguard/adapters/vscodepolicy"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/gofiber/fiber/v2"
)

func (a *Admin) policyRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/policy", Permission: PermRead, Tag: "policy", Summary: "The compiled policy the group's agents receive", Status: fiber.StatusOK, Response: "Policy", handle: a.groupPolicy},
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/policy/vscode", Permission: PermRead, Tag: "policy", Summary: "The policy as the editors' native AllowedExtensions policy",
			Query: []param{{Name: "format", Type: "string", Enum: []string{"json", "mobileconfig", "reg"}, Description: "json (default): /etc/vscode/policy.json; mobileconfig: macOS profile; reg: Windows registry file"},
				{Name: "editor", Type: "string", Enum: []string{"vscode", "vscode-insiders", "vscodium", "cursor", "code-server"}, Description: "whose policy location to write (default vscode); cursor (no documented policy support) and code-server (reads no machine policy) are refused with the reason"}},
			Status: fiber.StatusOK, Response: "VSCodePolicy", handle: a.vscodePolicy},
	}
}

func (a *Admin) groupPolicy(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		p, err := a.uc.ViewGroupPolicy.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderETag, p.ETag)
		return c.JSON(policyDocument(application.CompiledPolicy{Policy: p, GeneratedAt: time.Now().UTC()}))
	})
}

// vscodePolicy answers the group's policy in the editors' native form, with
// what it cannot express in the Extguard-Unexpressible header (one rule per
// comma-separated item) besides the comments the .reg file carries.
func (a *Admin) vscodePolicy(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error {
		format, err := vscodepolicy.ParseFormat(c.Query("format"))
		if err != nil {
			return err
		}
		editor, err := vscodepolicy.ParseEditor(c.Query("editor"))
		if err != nil {
			return err
		}
		ex, err := a.uc.ExportGroupPolicy.Execute(c.UserContext(), id)
		if err != nil {
			return err
		}
		p := ex.Policy
		r := vscodepolicy.RenderFor(p, ex.GroupName, format, editor)
		c.Set(fiber.HeaderContentType, r.ContentType)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+r.Filename+`"`)
		c.Set(fiber.HeaderETag, p.ETag)
		c.Set("Extguard-Policy-Location", r.Location)
		if len(r.Unexpressible) > 0 {
			c.Set("Extguard-Unexpressible", strings.Join(r.Unexpressible, ", "))
		}
		return c.Send(r.Body)
	})
}
