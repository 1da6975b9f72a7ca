package httpapi

import (
	"time"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
	"github.com/gofiber/fiber/v2"
)

// withID runs a handler's common prefix: parse {id}, call, answer.
func withID(c *fiber.Ctx, name string, fn func(domain.ID) error) error {
	id, err := pathID(c, name)
	if err != nil {
		return err
	}
	return fn(id)
}

// noContent answers a route whose row says 204: the status is the row's
// (Register sets it), so there is nothing to write.
func noContent(_ *fiber.Ctx, err error) error { return err }

// respond answers conv(v) with the row's status (Register sets it).
func respond[T any, D any](c *fiber.Ctx, v T, err error, conv func(T) D) error {
	if err != nil {
		return err
	}
	return c.JSON(conv(v))
}

// pageDoc is every list answer: {"items": [...], "next_cursor": "..." | null}.
type pageDoc[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func pageOf[S any, T any](p application.Page[S], conv func(S) T) pageDoc[T] {
	out := pageDoc[T]{Items: make([]T, len(p.Items)), NextCursor: optString(p.NextCursor)}
	for i, s := range p.Items {
		out.Items[i] = conv(s)
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func optID(id domain.ID) *string {
	if id.IsZero() {
		return nil
	}
	s := id.String()
	return &s
}
