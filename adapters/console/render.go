package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	httpapi "github.com/extguard/extguard/adapters/http"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

//go:embed templates
var templateFS embed.FS

// view is what every page template gets: the page's own data beside who is
// signed in, so the layout shows only the links and controls the role can
// use.
type view struct {
	Title   string
	Nav     string // the menu entry to highlight
	Session *session
	Error   string            // a message above the page
	Fields  map[string]string // field errors by field name, beside the inputs
	Data    any
	Self    string // this page's address, for htmx to refresh it
}

// Role is the signed-in role, "" on the login page.
func (v view) Role() user.Role {
	if v.Session == nil {
		return ""
	}
	return v.Session.principal.Role
}

// Can reports whether the role holds a permission of the API's table
// (httpapi.Permission): the page hides what the server would refuse.
func (v view) Can(perm string) bool {
	return v.Session != nil && httpapi.Permission(perm).Allows(v.Role())
}

// CSRF is the session's token for forms and htmx requests.
func (v view) CSRF() string {
	if v.Session == nil {
		return ""
	}
	return v.Session.csrf()
}

// pages are the parsed templates: each page is the layout plus its own file.
type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"id": func(id domain.ID) string {
		if id == domain.NilID {
			return ""
		}
		return id.String()
	},
	"pct": func(part, whole int) int {
		if whole == 0 {
			return 0
		}
		return part * 100 / whole
	},
	"join": strings.Join,
	"str":  func(v any) string { return toString(v) },
}

func parsePages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		p.byName[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return p
}

// render writes the page; a template that fails renders nothing half-way.
func (p *pages) render(c *fiber.Ctx, status int, name string, v view) error {
	t, ok := p.byName[name]
	if !ok {
		return fiber.NewError(fiber.StatusInternalServerError, "no page "+name)
	}
	v.Self = string(c.Request().URI().RequestURI())
	var buf bytes.Buffer
	tmpl := "layout.html"
	if c.Get("HX-Request") != "" && t.Lookup("fragment") != nil {
		tmpl = "fragment" // htmx asks for the part it swaps
	}
	if err := t.ExecuteTemplate(&buf, tmpl, v); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// show renders a page for the signed-in user.
func (k *Console) show(c *fiber.Ctx, s *session, name, title string, data any) error {
	return k.pages.render(c, fiber.StatusOK, name, view{Title: title, Nav: name, Session: s, Data: data})
}

// fail shows an error as the API would answer it: its status, its message,
// and a 500's text only in the log.
func (k *Console) fail(c *fiber.Ctx, s *session, err error) error {
	p := httpapi.ProblemOf(err)
	if p.Status >= 500 {
		k.log.ErrorContext(c.UserContext(), "console page failed", "path", c.Path(), "error", err.Error())
	}
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	return k.refuse(c, s, p.Status, msg)
}

// refuse shows an error page with status.
func (k *Console) refuse(c *fiber.Ctx, s *session, status int, msg string) error {
	return k.pages.render(c, status, "error", view{Title: "Error", Session: s, Error: msg})
}

// fieldErrors are a refused input's field errors by field, to show beside
// the inputs; ok is false for any other error.
func fieldErrors(err error) (string, map[string]string, bool) {
	p := httpapi.ProblemOf(err)
	if p.Status != fiber.StatusBadRequest && p.Status != fiber.StatusConflict {
		return "", nil, false
	}
	m := map[string]string{}
	for _, f := range p.Errors {
		m[f.Field] = f.Message
	}
	return p.Detail, m, true
}
