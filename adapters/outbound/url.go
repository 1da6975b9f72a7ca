package outbound

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

var (
	// ErrInvalidURL means a URL is malformed or uses a form extguard refuses.
	ErrInvalidURL = errors.New("outbound: invalid URL")
	// ErrHTTPSRequired means a plain http URL was given where https is required.
	ErrHTTPSRequired = errors.New("outbound: https required")
)

// ValidateURL parses raw and refuses anything but an absolute http(s) URL with
// a host. Userinfo is refused because credentials in URLs end up in logs and
// audit rows. Errors never echo raw, for the same reason.
func ValidateURL(raw string, requireHTTPS bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	if err := checkURL(u, requireHTTPS); err != nil {
		return nil, err
	}
	return u, nil
}

func checkURL(u *url.URL, requireHTTPS bool) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	case requireHTTPS && u.Scheme != "https":
		return ErrHTTPSRequired
	case u.Opaque != "":
		return fmt.Errorf("%w: not a hierarchical URL", ErrInvalidURL)
	case u.User != nil:
		return fmt.Errorf("%w: credentials in the URL are not allowed", ErrInvalidURL)
	case u.Hostname() == "":
		return fmt.Errorf("%w: host required", ErrInvalidURL)
	}
	return checkPort(u.Port())
}

func checkPort(port string) error {
	if port == "" {
		return nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w: port must be 1-65535", ErrInvalidURL)
	}
	return nil
}
