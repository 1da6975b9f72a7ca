package outbound

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	t.Parallel()
	good := []string{
		"https://example.com/hook",
		"http://example.com:8080/x?y=1",
		"HTTPS://Example.COM",
		"https://[2606:4700::1]:443/",
	}
	for _, raw := range good {
		if _, err := ValidateURL(raw, false); err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", raw, err)
		}
	}
	bad := []string{
		"",
		"ftp://example.com/",
		"file:///etc/passwd",
		"gopher://example.com",
		"javascript:alert(1)",
		"http:example.com",
		"https://user:s3cret@example.com/",
		"https:///path-only",
		"https://example.com:0/",
		"https://example.com:65536/",
		"https://example.com:99999/",
		"https://example.com:abc/",
		"/relative/path",
		"https://exa mple.com/",
	}
	for _, raw := range bad {
		_, err := ValidateURL(raw, false)
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("ValidateURL(%q) = %v, want ErrInvalidURL", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks credentials: %v", err)
		}
	}
}

func TestValidateURLRequireHTTPS(t *testing.T) {
	t.Parallel()
	if _, err := ValidateURL("http://example.com/", true); !errors.Is(err, ErrHTTPSRequired) {
		t.Fatalf("http with requireHTTPS = %v, want ErrHTTPSRequired", err)
	}
	if _, err := ValidateURL("https://example.com/", true); err != nil {
		t.Fatalf("https with requireHTTPS = %v", err)
	}
}
