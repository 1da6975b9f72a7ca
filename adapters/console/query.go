package console

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// form reads query or form values, collecting every bad one, as the API
// does, so one answer names every mistake.
type form struct {
	c  *fiber.Ctx
	fe domain.FieldErrors
}

func (f *form) str(name string) string { return f.c.Query(name) }

func (f *form) id(name string) domain.ID {
	v := f.c.Query(name)
	if v == "" {
		return domain.NilID
	}
	id, err := domain.ParseID(v)
	if err != nil {
		f.fe.Add(name, "is not a UUID")
	}
	return id
}

func (f *form) page() application.PageRequest {
	p, err := application.NewPageRequest(0, f.c.Query("cursor"))
	f.fe.Include("", err)
	return p
}

func (f *form) err() error { return f.fe.Err("invalid query") }

// pageQuery reads a list page's only query value, its cursor.
func pageQuery(c *fiber.Ctx) (application.PageRequest, error) {
	q := form{c: c}
	page := q.page()
	return page, q.err()
}

// pathID is the :id of the address.
func pathID(c *fiber.Ctx) (domain.ID, error) {
	id, err := domain.ParseID(c.Params("id"))
	if err != nil {
		return domain.NilID, domain.NotFound("no such page")
	}
	return id, nil
}

// listing is one page of a list and the address of the next one (the same
// query with the page's cursor), "" on the last page.
type listing[T any] struct {
	Items []T
	Next  string
}

func listingOf[T any](c *fiber.Ctx, p application.Page[T]) listing[T] {
	return listing[T]{Items: p.Items, Next: nextPage(c, c.Path(), "cursor", p.NextCursor)}
}

// nextPage is base with the query of this page and param set to cursor:
// the next page of one of a page's lists; "" when cursor is (the last page).
func nextPage(c *fiber.Ctx, base, param, cursor string) string {
	if cursor == "" {
		return ""
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Set(param, cursor)
	return base + "?" + q.Encode()
}

// time reads an RFC 3339 time or a date (the date picker's form).
func (f *form) time(name string) time.Time {
	v := f.c.Query(name)
	if v == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	f.fe.Add(name, "is not a date or an RFC 3339 time")
	return time.Time{}
}

// flag reads a row form's true/false choice. Anything else is a field
// error, as the API's JSON boolean would be, so a mangled post changes
// nothing instead of reading as false (deactivate, disable).
func flag(c *fiber.Ctx, name string) (*bool, error) {
	switch c.FormValue(name) {
	case "true":
		on := true
		return &on, nil
	case "false":
		return new(bool), nil
	}
	return nil, domain.Invalid("invalid form", domain.FieldError{Field: name, Message: "must be true or false"})
}
