// Package extension holds extension identifiers and the catalog: the entries
// an admin approved, with the version and checksums agents are held to.
package extension

import (
	"strings"

	"github.com/extguard/extguard/domain"
)

// MaxIDLength bounds an extension id; marketplace ids are far shorter.
const MaxIDLength = 256

// ExtensionID is `publisher.name` in lower case. Editors compare ids
// case-insensitively, so we fold once at the edge and compare bytes after.
type ExtensionID string

// ParseExtensionID trims and lower-cases s and checks the
// `^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$` shape. Only ASCII is folded:
// Unicode folding would let look-alikes (e.g. the Kelvin sign) pass as ids.
func ParseExtensionID(s string) (ExtensionID, error) {
	id := lowerASCII(strings.TrimSpace(s))
	if len(id) > MaxIDLength {
		return "", idError("must be at most 256 characters")
	}
	pub, name, ok := strings.Cut(id, ".")
	if !ok || !validSegment(pub) || !validSegment(name) {
		return "", idError("must be publisher.name: lower-case letters, digits and hyphens, each part starting with a letter or digit")
	}
	return ExtensionID(id), nil
}

// MustParseExtensionID is for tests and constants.
func MustParseExtensionID(s string) ExtensionID {
	id, err := ParseExtensionID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func idError(msg string) *domain.Error {
	return domain.Invalid("invalid extension id", domain.FieldError{Field: "extension_id", Message: msg})
}

// ParsePublisher validates a publisher name with the same rules as one
// segment of an extension id, folded to lower case.
func ParsePublisher(s string) (string, error) {
	p := lowerASCII(strings.TrimSpace(s))
	if len(p) > MaxIDLength || !validSegment(p) {
		return "", domain.Invalid("invalid publisher", domain.FieldError{Field: "publisher",
			Message: "must be lower-case letters, digits and hyphens, starting with a letter or digit"})
	}
	return p, nil
}

func (id ExtensionID) String() string { return string(id) }

// Publisher is the part before the dot.
func (id ExtensionID) Publisher() string {
	p, _, _ := strings.Cut(string(id), ".")
	return p
}

// Name is the part after the dot.
func (id ExtensionID) Name() string {
	_, n, _ := strings.Cut(string(id), ".")
	return n
}

func validSegment(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
