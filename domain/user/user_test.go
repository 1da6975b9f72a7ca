package user

import (
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain"
)

func TestNewUser(t *testing.T) {
	t.Parallel()
	u, err := NewUser(UserParams{Email: " Alice@Example.COM ", PasswordHash: "$argon2id$...", DisplayName: "Alice", Role: "Editor"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email() != "alice@example.com" || u.Role() != RoleEditor || !u.IsActive() || u.ID().IsZero() {
		t.Fatalf("%+v", u)
	}
	_, err = NewUser(UserParams{Email: "Alice <alice@example.com>", Role: "root", DisplayName: strings.Repeat("x", 256)})
	if e := err.(*domain.Error); len(e.Fields) != 4 {
		t.Fatalf("want email, role, display_name, password: %v", e.Fields)
	}
	for _, bad := range []string{"", "alice", "@example.com", "alice@", strings.Repeat("a", 250) + "@x.io"} {
		if _, err := ParseEmail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"short":                          false,
		strings.Repeat("a", 11):          false,
		strings.Repeat("a", 12):          true,
		strings.Repeat("é", 12):          true,
		strings.Repeat("a", 256):         true,
		strings.Repeat("a", 257):         false,
		"\xff" + strings.Repeat("a", 12): false,
	}
	for pw, ok := range tests {
		if err := ValidatePassword(pw); (err == nil) != ok {
			t.Errorf("%.20q: %v", pw, err)
		}
	}
}

func TestUserChanges(t *testing.T) {
	t.Parallel()
	u, _ := NewUser(UserParams{Email: "a@b.io", PasswordHash: "h", Role: "viewer"})
	role := "admin"
	c, err := u.WithChanges(UserPatch{Role: &role})
	if err != nil || c.Role() != RoleAdmin || c.Email() != "a@b.io" {
		t.Fatalf("%v", err)
	}
	bad := "nope"
	if _, err := u.WithChanges(UserPatch{Email: &bad}); err == nil {
		t.Fatal("bad email accepted")
	}
	at := time.Unix(10, 0)
	if d := u.Deactivate(at); d.IsActive() || !d.UpdatedAt().Equal(at) {
		t.Fatal("deactivate")
	}
	if !RoleAdmin.CanManageUsers() || RoleEditor.CanManageUsers() || RoleViewer.CanReadAuditLog() ||
		!RoleAuditor.CanReadAuditLog() || RoleAuditor.CanEditPolicy() || RoleViewer.CanReadUsers() || !RoleEditor.CanEditPolicy() {
		t.Fatal("role permissions")
	}
}
