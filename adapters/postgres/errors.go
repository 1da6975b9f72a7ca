package postgres

import (
	"database/sql"
	"errors"

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

// translate maps driver errors onto the domain vocabulary: no rows becomes
// not_found, a unique violation conflict, a foreign-key violation invalid;
// anything else stays as it is and becomes internal at the edge.
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
		return err
	}
}
