package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/extension"
)

// MaxAdminBodyBytes bounds admin request bodies: the largest real one (a
// catalog entry) is under 4 KiB.
const MaxAdminBodyBytes = 64 << 10

// decodeBody reads a JSON object into dst (a pointer to a struct with json
// tags), strictly: unknown fields and wrongly typed values are refused, each
// named, all in one answer. A field's zero value means "absent"; PATCH
// bodies use pointer fields to tell absent from empty.
func decodeBody(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(body) > MaxAdminBodyBytes {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "request body over "+strconv.Itoa(MaxAdminBodyBytes)+" bytes")
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return domain.Invalid("malformed request body", domain.FieldError{Field: "body", Message: "must be one JSON object"})
	}
	v := reflect.ValueOf(dst).Elem()
	fields := jsonFields(v.Type())
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fe domain.FieldErrors
	for _, k := range keys {
		i, ok := fields[k]
		if !ok {
			fe.Add(k, "unknown field")
			continue
		}
		f := v.Field(i)
		if err := json.Unmarshal(raw[k], f.Addr().Interface()); err != nil {
			fe.Add(k, "must be "+jsonTypeName(f.Type()))
		}
	}
	return fe.Err("invalid request body")
}

func jsonFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}

// jsonTypeName says, for a field's error message, what JSON a Go type reads:
// the admin API's strict decoding and the agent API's both name it so.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a JSON value of the documented type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(json.RawMessage{}):
		return "a JSON object"
	case t == reflect.TypeOf(time.Time{}):
		return "an RFC 3339 timestamp"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonTypeName(t.Elem()), "a "), "an ") + "s"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a JSON value of the documented type"
}

// query reads query parameters, collecting every bad one.
type query struct {
	c  *fiber.Ctx
	fe domain.FieldErrors
}

func (q *query) str(name string) string { return strings.Clone(q.c.Query(name)) }

func (q *query) id(name string) domain.ID {
	s := q.c.Query(name)
	if s == "" {
		return domain.NilID
	}
	id, err := domain.ParseID(s)
	if err != nil {
		q.fe.Add(name, "must be a UUID")
	}
	return id
}

// extensionID reads the extension_id filter (publisher.name) that several
// lists take; the zero ID means "no filter".
func (q *query) extensionID() extension.ExtensionID {
	s := q.str("extension_id")
	if s == "" {
		return ""
	}
	id, err := extension.ParseExtensionID(s)
	q.fe.Include("", err)
	return id
}

func (q *query) boolean(name string) *bool {
	s := q.c.Query(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.fe.Add(name, "must be true or false")
		return nil
	}
	return &b
}

func (q *query) time(name string) time.Time {
	s := q.c.Query(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.fe.Add(name, "must be an RFC 3339 timestamp like 2026-11-26T17:00:00Z")
	}
	return t.UTC()
}

func (q *query) page() application.PageRequest {
	limit := 0
	if s := q.c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			q.fe.Add("limit", "must be an integer between 1 and 500")
			return application.PageRequest{}
		}
		if n == 0 {
			n = -1 // an explicit 0 is out of range, not "the default"
		}
		limit = n
	}
	p, err := application.NewPageRequest(limit, q.str("cursor"))
	q.fe.Include("", err)
	return p
}

func (q *query) err() error { return q.fe.Err("invalid query parameters") }

// pathID parses a UUID path parameter.
func pathID(c *fiber.Ctx, name string) (domain.ID, error) {
	id, err := domain.ParseID(c.Params(name))
	if err != nil {
		return domain.NilID, domain.Invalid("malformed id in the path", domain.FieldError{Field: name, Message: "must be a UUID"})
	}
	return id, nil
}

// checkQuery is the one check of every query parameter before a handler
// reads any: a name the route does not know (a typo in a filter must not
// answer unfiltered), a name given twice (which of the two would count is
// a guess), and a value that is not valid UTF-8 or holds a control
// character (no filter means that; PostgreSQL refuses NUL) are each
// refused with a 400 naming the parameter.
func checkQuery(c *fiber.Ctx, r *route) error {
	var fe domain.FieldErrors
	seen := map[string]int{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		name := string(k)
		seen[name]++
		switch {
		case seen[name] > 2: // named once already
		case !isCleanText(k) || !r.acceptsQuery(name):
			if seen[name] == 1 {
				fe.Add(audit.CleanText(name, 64), "unknown query parameter")
			}
		case seen[name] == 2:
			fe.Add(name, "must be given at most once")
		case !isCleanText(v):
			fe.Add(name, "must be valid UTF-8 without control characters")
		}
	})
	return fe.Err("invalid query parameters")
}

// isCleanText reports valid UTF-8 without control characters.
func isCleanText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	return !bytes.ContainsFunc(b, unicode.IsControl)
}
