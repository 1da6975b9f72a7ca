package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/extguard/extguard/domain"
)

// TestClassifyKnowsAnOutageFromABadStatement covers the SQLSTATEs a test
// cannot provoke on a shared server (shutting down, starting up, crash).
func TestClassifyKnowsAnOutageFromABadStatement(t *testing.T) {
	for _, tc := range []struct {
		err    error
		outage bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "57P02"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is shutting down"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "08001"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{driver.ErrBadConn, true},
		{sql.ErrConnDone, true},
		{context.DeadlineExceeded, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "42P01"}, false},
		{&pgconn.PgError{Code: "57014"}, false}, // statement cancelled on request
		{context.Canceled, false},
		{sql.ErrNoRows, false},
		{io.EOF, false},
		{errors.New("boom"), false},
	} {
		got := domain.CodeOf(classify(tc.err)) == domain.CodeUnavailable
		if got != tc.outage {
			t.Errorf("classify(%v) unavailable = %v, want %v", tc.err, got, tc.outage)
		}
		if got && !errors.Is(classify(tc.err), tc.err) {
			t.Errorf("classify(%v) lost the original error", tc.err)
		}
	}
	if err := driver.ErrSkip; classify(err) != err {
		t.Error("driver.ErrSkip must come back as itself: database/sql compares it with ==")
	}
}
