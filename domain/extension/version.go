package extension

import (
	"regexp"
	"strings"
)

// MaxVersionLength bounds versions everywhere they are stored (varchar).
const MaxVersionLength = 64

// versionPattern is semver-ish: what the marketplace accepts for extensions,
// with an optional pre-release or build suffix.
var versionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)

// ValidVersion reports whether v is a plausible extension version.
func ValidVersion(v string) bool {
	return len(v) <= MaxVersionLength && versionPattern.MatchString(v)
}

// PinnableVersion reports whether v can be a pinned version: a valid version
// without build metadata. VS Code's AllowedExtensions policy reads a pinned
// version as x.y.z with an optional "-pre-release" and compares it to the
// installed version as text, so a pin such as 1.4.0+build5 never matches:
// exported natively it would block the extension at every version.
func PinnableVersion(v string) bool {
	return ValidVersion(v) && !strings.Contains(v, "+")
}
