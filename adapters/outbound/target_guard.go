package outbound

import (
	"errors"
	"net/netip"

	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// TargetGuard is the write-time half of the SSRF rules: it refuses a URL
// whose host is a literal address CheckIP refuses (loopback, private,
// link-local, metadata, ...) unless AllowPrivate. The dial-time half is
// Client, which checks every address a host name resolves to.
type TargetGuard struct{ AllowPrivate bool }

var _ application.TargetGuard = TargetGuard{}

// Check refuses rawURL for field; the message never repeats the URL (it
// may hold credentials in its path or query).
func (g TargetGuard) Check(field, rawURL string) error {
	u, err := ValidateURL(rawURL, false)
	if err != nil {
		msg := "is not a valid http or https URL"
		if errors.Is(err, ErrInvalidURL) {
			msg = "must be an absolute http or https URL with a host, a port 1-65535 and no credentials"
		}
		return domain.Invalid("invalid "+field, domain.FieldError{Field: field, Message: msg})
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return nil // a name: checked when it is dialled
	}
	if err := CheckIP(ip, g.AllowPrivate); err != nil {
		return domain.Invalid(field+" points into a private network", domain.FieldError{Field: field,
			Message: "must not target a loopback, private, link-local or metadata address"})
	}
	return nil
}
