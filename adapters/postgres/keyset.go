package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// Keyset pagination: a cursor is the sort key of the last row of a page,
// JSON in base64url. It is opaque to clients and only ever compared with the
// sort key, so a forged cursor can skip rows but never reach a soft-deleted
// or filtered-out one.

func encodeCursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor fills dst (pointers, in the order encodeCursor got them).
func decodeCursor(cursor string, dst ...any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var raw []json.RawMessage
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err == nil && len(raw) != len(dst) {
		err = domain.Invalid("bad cursor")
	}
	for i := 0; err == nil && i < len(raw); i++ {
		err = json.Unmarshal(raw[i], dst[i])
	}
	if err != nil {
		return domain.Invalid("invalid cursor", domain.FieldError{Field: "cursor", Message: "is not a cursor this list produced"})
	}
	return nil
}

// listByID pages q (a select on R's model, already filtered) in ascending
// id order: ids are unique and, being UUIDv7, roughly creation order.
func listByID[R any, T any](ctx context.Context, q *bun.SelectQuery, idColumn string, page application.PageRequest,
	idOf func(*R) uuid.UUID, conv func(*R) (T, error)) (application.Page[T], error) {
	if page.Cursor != "" {
		var after uuid.UUID
		if err := decodeCursor(page.Cursor, &after); err != nil {
			return application.Page[T]{}, err
		}
		q = q.Where("? > ?", bun.Ident(idColumn), after)
	}
	q = q.OrderExpr("? ASC", bun.Ident(idColumn))
	return scanPage(ctx, q, page.Limit, func(r *R) string { return encodeCursor(idOf(r)) }, conv)
}

// listNewestFirst pages q by (timeColumn, idColumn) descending: history
// lists read from the newest end, and the id breaks ties between equal times.
func listNewestFirst[R any, T any](ctx context.Context, q *bun.SelectQuery, timeColumn, idColumn string, page application.PageRequest,
	keyOf func(*R) (time.Time, uuid.UUID), conv func(*R) (T, error)) (application.Page[T], error) {
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := decodeCursor(page.Cursor, &at, &id); err != nil {
			return application.Page[T]{}, err
		}
		q = q.Where("(?, ?) < (?, ?)", bun.Ident(timeColumn), bun.Ident(idColumn), at, id)
	}
	q = q.OrderExpr("? DESC, ? DESC", bun.Ident(timeColumn), bun.Ident(idColumn))
	return scanPage(ctx, q, page.Limit, func(r *R) string { at, id := keyOf(r); return encodeCursor(at, id) }, conv)
}

// scanPage reads one row more than limit (whether a next page exists,
// without a count) and converts the page's rows; cursorOf encodes the last
// row's sort key.
func scanPage[R any, T any](ctx context.Context, q *bun.SelectQuery, limit int,
	cursorOf func(*R) string, conv func(*R) (T, error)) (application.Page[T], error) {
	var rows []R
	if err := q.Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return application.Page[T]{}, err
	}
	return pageOf(rows, limit, cursorOf, conv)
}

// pageOf makes the page of rows read with limit+1 (by scanPage, or by a raw
// query that cannot be a bun select): the extra row only says a next page
// exists.
func pageOf[R any, T any](rows []R, limit int, cursorOf func(*R) string, conv func(*R) (T, error)) (application.Page[T], error) {
	out := application.Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = cursorOf(&rows[len(rows)-1])
	}
	for i := range rows {
		t, err := conv(&rows[i])
		if err != nil {
			return application.Page[T]{}, err
		}
		out.Items = append(out.Items, t)
	}
	return out, nil
}

// infallible adapts a toDomain that cannot fail to listByID.
func infallible[R any, T any](f func(*R) T) func(*R) (T, error) {
	return func(r *R) (T, error) { return f(r), nil }
}

// affectedOne turns "no row changed" into not_found.
func affectedOne(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return translate(err, what)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return domain.NotFound(what + " not found")
	}
	return nil
}
