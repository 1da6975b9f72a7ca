package extension

import "regexp"

// MaxVersionLength bounds versions everywhere they are stored (varchar).
const MaxVersionLength = 64

// versionPattern is semver-ish: what the marketplace accepts for extensions,
// with an optional pre-release or build suffix.
var versionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)

// ValidVersion reports whether v is a plausible extension version.
func ValidVersion(v string) bool {
	return len(v) <= MaxVersionLength && versionPattern.MatchString(v)
}
