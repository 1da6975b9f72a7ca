package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/extguard/extguard/domain"
)

// pgErrorCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgErrorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// IsUniqueViolation reports a unique-key conflict (SQLSTATE 23505).
func IsUniqueViolation(err error) bool { return pgErrorCode(err) == "23505" }

// errDatabaseUnavailable is what a client learns of an outage: nothing of
// the host, the statement or the driver's words, which stay in the joined
// error for the log.
var errDatabaseUnavailable = domain.Unavailable("the database is unavailable; retry later")

// classify is the one place that decides a database error means "the
// database cannot be reached now": the connection was refused, lost or
// timed out, the server is shutting down or starting up, or the pool could
// not get a connection in time. Such an error becomes unavailable (joined
// with the original, so errors.Is still sees driver.ErrBadConn and database/sql
// keeps retrying on a fresh connection); anything else is returned unchanged.
// Every statement passes through it (the driver wrapper, outageDriver), and
// translate applies it to what pgx returns outside database/sql (COPY).
func classify(err error) error {
	if err == nil || !isOutage(err) || errors.Is(err, errDatabaseUnavailable) {
		return err
	}
	return errors.Join(errDatabaseUnavailable, err)
}

func isOutage(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up: not the database's fault (499)
	}
	if code := pgErrorCode(err); code != "" {
		return outageSQLState(code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, pgconn.ErrConnClosed)
}

// outageSQLState: class 08 (connection exception), 57P01 admin shutdown,
// 57P02 crash shutdown, 57P03 cannot connect now ("the database system is
// shutting down / starting up"), 53300 too many connections.
func outageSQLState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(code, "08")
}

// translate maps driver errors onto the domain vocabulary: no rows becomes
// not_found, a unique violation conflict, a foreign-key violation invalid,
// an outage unavailable; anything else stays as it is and becomes internal at
// the edge.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return domain.NotFound(what + " not found")
	case IsUniqueViolation(err):
		return domain.Conflict(what + " already exists")
	case pgErrorCode(err) == "23503":
		return domain.Invalid(what + " refers to something that does not exist")
	default:
		return classify(err)
	}
}
