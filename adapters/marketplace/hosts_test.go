package marketplace

import "testing"

func TestHostAllowlist(t *testing.T) {
	a := newHostAllowlist(append(DefaultAllowedHosts(), "127.0.0.1", "[::1]", "Mirror.Example.ORG."))
	allowed := []string{
		"marketplace.visualstudio.com",
		"MARKETPLACE.VisualStudio.com",
		"marketplace.visualstudio.com.",
		"ms-python.gallery.vsassets.io",
		"a.b.gallerycdn.vsassets.io",
		"open-vsx.org",
		"127.0.0.1",
		"::1",
		"mirror.example.org",
	}
	for _, h := range allowed {
		if !a.allows(h) {
			t.Errorf("%q refused", h)
		}
	}
	refused := []string{
		"",
		"gallery.vsassets.io",     // the wildcard covers subdomains only
		"evilgallery.vsassets.io", // not a subdomain
		"gallery.vsassets.io.evil.com",
		"marketplace.visualstudio.com.evil.com",
		"evil-marketplace.visualstudio.com",
		"sub.open-vsx.org",
		"127.0.0.2",
		"localhost",
	}
	for _, h := range refused {
		if a.allows(h) {
			t.Errorf("%q allowed", h)
		}
	}
}
