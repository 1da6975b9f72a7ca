package console

import (
	"bufio"
	"context"
	"encoding/csv"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// installationGroups names the groups of one page of installations.
func (k *Console) installationGroups(ctx context.Context, rows []application.Installation) (map[domain.ID]string, error) {
	ix, err := k.groupIndex(ctx)
	if err != nil {
		return nil, err
	}
	return ix.namesOf(ctx, idsOf(rows, func(i application.Installation) domain.ID { return i.GroupID }))
}

var csvHeader = []string{"display_name", "machine_id", "agent_id", "group", "extension_id", "version", "editor", "reported_at"}

// installationsCSV downloads every installation the query finds, with no
// cap: it streams, page by page (keyset, MaxPageLimit rows) through the
// same use case, each page written as it is read, so memory holds one page
// whatever the fleet. The first page is read before the answer starts, so
// a refused query is still an error page.
func (k *Console) installationsCSV(c *fiber.Ctx, s *session) error {
	in, q := installationQuery(c)
	if err := q.err(); err != nil {
		return k.fail(c, s, err)
	}
	ctx := c.UserContext()
	page := application.PageRequest{Limit: application.MaxPageLimit}
	first, err := k.uc.FindInstallations.Execute(ctx, in, page)
	if err != nil {
		return k.fail(c, s, err)
	}
	ix, err := k.groupIndex(ctx)
	if err != nil {
		return k.fail(c, s, err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="installations.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := k.streamInstallations(ctx, csv.NewWriter(w), in, first, ix); err != nil {
			k.log.ErrorContext(ctx, "console csv download cut short", "error", err.Error())
		}
	})
	return nil
}

// streamInstallations writes the header, then each page and flushes it
// before reading the next. An error after the answer has started cannot
// change its status: the file then ends with a row that says it was cut,
// so a short download is never mistaken for a complete one.
func (k *Console) streamInstallations(ctx context.Context, w *csv.Writer, in application.InstallationQuery,
	p application.Page[application.Installation], ix *groupIndex) error {
	err := w.Write(csvHeader)
	for err == nil {
		if err = writeInstallations(ctx, w, p.Items, ix); err != nil || p.NextCursor == "" {
			break
		}
		w.Flush()
		p, err = k.uc.FindInstallations.Execute(ctx, in, application.PageRequest{Limit: application.MaxPageLimit, Cursor: p.NextCursor})
	}
	if err != nil {
		_ = w.Write([]string{"error: the download was cut short, retry it"})
	}
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	return err
}

func writeInstallations(ctx context.Context, w *csv.Writer, rows []application.Installation, ix *groupIndex) error {
	for _, i := range rows {
		group, err := ix.name(ctx, i.GroupID)
		if err != nil {
			return err
		}
		if err := w.Write([]string{csvCell(i.DisplayName), csvCell(i.MachineID), i.AgentID.String(), csvCell(group),
			i.ExtensionID, csvCell(i.Version), i.Editor, i.ReportedAt.UTC().Format("2006-01-02T15:04:05Z")}); err != nil {
			return err
		}
	}
	return nil
}

// csvCell keeps a spreadsheet from reading agent-supplied text as a
// formula (=, +, -, @ first).
func csvCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
