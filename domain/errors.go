// Package domain holds extguard's core vocabulary: the one error type every
// layer speaks, identifiers, and (in subpackages, one per concept) the
// validated values and policy rules. It is pure Go: no I/O, no third-party code.
package domain

import (
	"errors"
	"strings"
)

// Code classifies an error once, here, so that adapters map it to a status
// (HTTP, asynq retry, exit code) without inspecting messages.
type Code string

const (
	CodeInvalid      Code = "invalid"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeRateLimited  Code = "rate_limited"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
)

// FieldError names one bad input field, so clients can fix every mistake in one
// round trip instead of one per request. The JSON names are the protocols'
// (problem+json "errors": [{"field", "message"}]).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the single error vocabulary of extguard. Message is safe to show to
// the caller; Fields lists every invalid field for CodeInvalid.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return string(e.Code) + ": " + e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return string(e.Code) + ": " + e.Message + " (" + strings.Join(parts, "; ") + ")"
}

func newError(c Code, msg string) *Error { return &Error{Code: c, Message: msg} }

// Invalid reports input that can never succeed as sent.
func Invalid(msg string, fields ...FieldError) *Error {
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields}
}

func NotFound(msg string) *Error     { return newError(CodeNotFound, msg) }
func Conflict(msg string) *Error     { return newError(CodeConflict, msg) }
func Unauthorized(msg string) *Error { return newError(CodeUnauthorized, msg) }
func Forbidden(msg string) *Error    { return newError(CodeForbidden, msg) }
func RateLimited(msg string) *Error  { return newError(CodeRateLimited, msg) }
func Unavailable(msg string) *Error  { return newError(CodeUnavailable, msg) }
func Internal(msg string) *Error     { return newError(CodeInternal, msg) }

// CodeOf classifies any error. Errors that are not ours are internal: nobody
// decided they were the caller's fault, so they must not leak as such.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// FieldErrors collects field errors while a constructor checks every field,
// so one answer lists them all.
type FieldErrors struct {
	list []FieldError
}

// Add records that field is bad for the given reason.
func (fe *FieldErrors) Add(field, msg string) {
	fe.list = append(fe.list, FieldError{Field: field, Message: msg})
}

// AddErr records err (typically from a Parse function) under field, keeping
// its messages but not its own field names.
func (fe *FieldErrors) AddErr(field string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		fe.Add(field, err.Error())
		return
	}
	if len(e.Fields) == 0 {
		fe.Add(field, e.Message)
		return
	}
	for _, f := range e.Fields {
		fe.Add(field, f.Message)
	}
}

// Include records the field errors of a nested value under prefix, so that
// "version" of the fourth report item becomes "extensions[3].version".
func (fe *FieldErrors) Include(prefix string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		fe.AddErr(prefix, err)
		return
	}
	for _, f := range e.Fields {
		name := f.Field
		switch {
		case prefix == "":
		case name == "":
			name = prefix
		default:
			name = prefix + "." + name
		}
		fe.Add(name, f.Message)
	}
}

// Len is the number of field errors collected so far.
func (fe *FieldErrors) Len() int { return len(fe.list) }

// Err returns an Invalid error listing every collected field, or a nil error
// (an untyped nil, so `err != nil` checks stay honest) when nothing was wrong.
func (fe *FieldErrors) Err(msg string) error {
	if len(fe.list) == 0 {
		return nil
	}
	fields := make([]FieldError, len(fe.list))
	copy(fields, fe.list)
	return Invalid(msg, fields...)
}
