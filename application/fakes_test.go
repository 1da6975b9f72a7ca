package application_test

import (
	"context"
	"errors"
	"time"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/audit"
)

// In-memory fakes of the application's ports, shared by every use-case test
// of this package. They keep the ports' documented behaviour (not_found for
// unknown rows, a refused change stores nothing) and nothing more: SQL,
// locking and paging are the adapters' tests' business, against PostgreSQL.
// Methods a use case under test never calls are left to the embedded
// interface, so calling one panics rather than answering something made up.

// runInline is the Transactor: it just calls fn (no rollback; tests check
// that a refusal happens before anything is written).
type runInline struct{}

func (runInline) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

// eventsInMemory is the AuditLog.
type eventsInMemory struct{ events []audit.Event }

func (e *eventsInMemory) Append(_ context.Context, ev audit.Event) error {
	e.events = append(e.events, ev)
	return nil
}

// ofType lists the recorded events of type t.
func (e *eventsInMemory) ofType(t audit.EventType) []audit.Event {
	var out []audit.Event
	for _, ev := range e.events {
		if ev.Type() == t {
			out = append(out, ev)
		}
	}
	return out
}

// table is the row store behind every repository fake: Update calls change
// with the stored row and stores only what an error-free change answers,
// as the Update contract atop ports_admin.go says.
type table[T any] struct {
	rows   map[domain.ID]T
	idOf   func(T) domain.ID
	writes int // successful creates, updates and deletes
}

func newTable[T any](idOf func(T) domain.ID, rows ...T) *table[T] {
	t := &table[T]{rows: map[domain.ID]T{}, idOf: idOf}
	for _, r := range rows {
		t.rows[idOf(r)] = r
	}
	return t
}

var errNoRow = domain.NotFound("no such row")

func (t *table[T]) get(id domain.ID) (T, error) {
	r, ok := t.rows[id]
	if !ok {
		return r, errNoRow
	}
	return r, nil
}

func (t *table[T]) create(r T) error {
	if _, ok := t.rows[t.idOf(r)]; ok {
		return domain.Conflict("id taken")
	}
	t.rows[t.idOf(r)] = r
	t.writes++
	return nil
}

func (t *table[T]) update(id domain.ID, change func(T) (T, error)) (T, error) {
	current, err := t.get(id)
	if err != nil {
		return current, err
	}
	next, err := change(current)
	if err != nil {
		var zero T
		return zero, err
	}
	t.rows[id] = next
	t.writes++
	return next, nil
}

func (t *table[T]) remove(id domain.ID) error {
	if _, err := t.get(id); err != nil {
		return err
	}
	delete(t.rows, id)
	t.writes++
	return nil
}

// fieldsOf names the invalid fields of err.
func fieldsOf(err error) []string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil
	}
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field)
	}
	return out
}

// hasField says whether err is invalid naming field.
func hasField(err error, field string) bool {
	for _, f := range fieldsOf(err) {
		if f == field {
			return true
		}
	}
	return false
}

// flakyEvents fails the first n appends, as a database that hiccups.
type flakyEvents struct {
	eventsInMemory
	failures int
}

func (f *flakyEvents) Append(ctx context.Context, ev audit.Event) error {
	if f.failures > 0 {
		f.failures--
		return errors.New("database hiccup")
	}
	return f.eventsInMemory.Append(ctx, ev)
}
