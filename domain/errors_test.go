package domain

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), CodeInternal},
		{"invalid", Invalid("bad"), CodeInvalid},
		{"wrapped", fmt.Errorf("ctx: %w", NotFound("gone")), CodeNotFound},
		{"conflict", Conflict("x"), CodeConflict},
		{"unauthorized", Unauthorized("x"), CodeUnauthorized},
		{"forbidden", Forbidden("x"), CodeForbidden},
		{"rate", RateLimited("x"), CodeRateLimited},
		{"unavailable", Unavailable("x"), CodeUnavailable},
		{"internal", Internal("x"), CodeInternal},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("%s: CodeOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	var fe FieldErrors
	if err := fe.Err("x"); err != nil {
		t.Fatalf("empty collector must return a nil error, got %#v", err)
	}
	fe.Add("name", "required")
	fe.Include("extensions[3]", Invalid("bad item", FieldError{"version", "required"}))
	fe.AddErr("pattern", Invalid("bad", FieldError{"extension_id", "shape"}))
	fe.AddErr("other", errors.New("plain"))
	err := fe.Err("invalid thing")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid {
		t.Fatalf("want *Error invalid, got %v", err)
	}
	want := []FieldError{{"name", "required"}, {"extensions[3].version", "required"}, {"pattern", "shape"}, {"other", "plain"}}
	if fmt.Sprint(e.Fields) != fmt.Sprint(want) {
		t.Fatalf("fields = %v, want %v", e.Fields, want)
	}
}

func TestNormalizeSHA256(t *testing.T) {
	t.Parallel()
	up := "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"
	if got, ok := NormalizeSHA256(up); !ok || got != "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789" {
		t.Fatalf("got %q %v", got, ok)
	}
	for _, bad := range []string{"", "abc", up[:63] + "g", up + "0"} {
		if _, ok := NormalizeSHA256(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
