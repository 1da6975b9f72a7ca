package httpapi

import (
	"bufio"
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/adapters/sbom"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// sbomResponse names the CycloneDX answer, which has its own media type
// and the CycloneDX schema, not one of ours.
const sbomResponse = "SBOM"

func (a *Admin) sbomRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/agents/{id}/sbom", Permission: PermRead, Tag: "sbom", Summary: "The agent's installed extensions as a CycloneDX 1.6 SBOM", Status: fiber.StatusOK, Response: sbomResponse, handle: a.agentSBOM},
		{Method: fiber.MethodGet, Path: "/api/v1/groups/{id}/sbom", Permission: PermRead, Tag: "sbom", Summary: "The group's installed extensions as a CycloneDX 1.6 SBOM", Status: fiber.StatusOK, Response: sbomResponse, handle: a.groupSBOM},
		{Method: fiber.MethodGet, Path: "/api/v1/sbom", Permission: PermRead, Tag: "sbom", Summary: "The fleet's installed extensions as a CycloneDX 1.6 SBOM, streamed", Status: fiber.StatusOK, Response: sbomResponse, handle: a.fleetSBOM},
	}
}

func (a *Admin) agentSBOM(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error { return a.streamSBOM(c, application.SBOMScope{AgentID: id}) })
}

func (a *Admin) groupSBOM(c *fiber.Ctx) error {
	return withID(c, "id", func(id domain.ID) error { return a.streamSBOM(c, application.SBOMScope{GroupID: id}) })
}

func (a *Admin) fleetSBOM(c *fiber.Ctx) error { return a.streamSBOM(c, application.SBOMScope{}) }

func (a *Admin) streamSBOM(c *fiber.Ctx, scope application.SBOMScope) error {
	return StreamSBOM(c, a.uc.ExportSBOM, a.log, scope)
}

// StreamSBOM answers the scope's CycloneDX document (the API's and the
// console's downloads): 404 before the first byte when the scope does not
// exist; after that the document is written page by page as PostgreSQL
// answers, so the fleet's SBOM is never in memory whole. A failure part-way
// leaves the JSON unterminated (and is logged).
func StreamSBOM(c *fiber.Ctx, export application.ExportSBOM, log *slog.Logger, scope application.SBOMScope) error {
	s, err := export.Execute(c.UserContext(), scope)
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(c.UserContext()) // the writer runs after the handler returns
	c.Set(fiber.HeaderContentType, sbom.MediaType)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		each := func(fn func([]application.SBOMItem) error) error { return s.Each(ctx, fn) }
		if err := sbom.Write(w, s, each, ""); err != nil {
			log.WarnContext(ctx, "sbom stream broken off", "error", err.Error())
		}
	})
	return nil
}
