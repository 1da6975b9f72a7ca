package webhook

import (
	"errors"
	"net/netip"

	"github.com/extguard/extguard/adapters/outbound"
	"github.com/extguard/extguard/application"
	"github.com/extguard/extguard/domain"
)

// URLGuard checks webhook targets when an admin writes them: an absolute
// https URL, and no literal loopback, private, link-local or metadata
// address unless the operator allows private targets. Host names are
// resolved and checked at dial time by the delivery client, since DNS can
// change between now and then.
type URLGuard struct{ AllowPrivate bool }

var _ application.WebhookURLGuard = URLGuard{}

// Check refuses a URL no delivery should ever be attempted to.
func (g URLGuard) Check(raw string) error {
	u, err := outbound.ValidateURL(raw, true)
	if err != nil {
		msg := "must be an absolute https URL without credentials"
		if !errors.Is(err, outbound.ErrHTTPSRequired) && !errors.Is(err, outbound.ErrInvalidURL) {
			msg = "is not a valid URL"
		}
		return domain.Invalid("invalid webhook URL", domain.FieldError{Field: "url", Message: msg})
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := outbound.CheckIP(ip, g.AllowPrivate); err != nil {
			return domain.Invalid("webhook URL points into a private network", domain.FieldError{Field: "url",
				Message: "must not target a loopback, private, link-local or metadata address"})
		}
	}
	return nil
}

// Secrets generates endpoint secrets with GenerateSecret.
type Secrets struct{}

var _ application.WebhookSecrets = Secrets{}

// Generate returns a new whsec_ secret.
func (Secrets) Generate() (string, error) { return GenerateSecret() }
