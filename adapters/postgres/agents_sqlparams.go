package postgres

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Array parameters for the batched statements (UPDATE ... FROM unnest):
// one statement carries a whole batch, whatever its size.

// uuidArray passes ids as text[]; the statement casts it to uuid[].
func uuidArray(v []uuid.UUID) any {
	s := make([]string, len(v))
	for i, u := range v {
		s[i] = u.String()
	}
	return pgdialect.Array(s)
}

func timeArray(v []time.Time) any { return pgdialect.Array(v) }
func stringArray(v []string) any  { return pgdialect.Array(v) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
