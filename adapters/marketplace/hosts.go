package marketplace

import "strings"

// DefaultAllowedHosts are where the VS Code Marketplace and Open VSX serve
// VSIX packages (EXTGUARD_MARKETPLACE_HOSTS default).
func DefaultAllowedHosts() []string {
	return []string{
		"marketplace.visualstudio.com",
		"*.gallery.vsassets.io",
		"*.gallerycdn.vsassets.io",
		"open-vsx.org",
	}
}

// hostAllowlist matches host names exactly or, for "*.suffix" entries, any
// subdomain of suffix (not suffix itself), case-insensitively.
type hostAllowlist struct {
	exact    map[string]bool
	suffixes []string // ".suffix"
}

func newHostAllowlist(hosts []string) hostAllowlist {
	a := hostAllowlist{exact: map[string]bool{}}
	for _, h := range hosts {
		h = normalizeHost(h)
		if rest, ok := strings.CutPrefix(h, "*."); ok && rest != "" {
			a.suffixes = append(a.suffixes, "."+rest)
		} else if h != "" {
			a.exact[h] = true
		}
	}
	return a
}

func (a hostAllowlist) allows(host string) bool {
	host = normalizeHost(host)
	if host == "" {
		return false
	}
	if a.exact[host] {
		return true
	}
	for _, s := range a.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// normalizeHost makes "Example.COM.", "[::1]" and "example.com" comparable.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}
