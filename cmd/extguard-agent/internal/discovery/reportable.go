package discovery

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Protocol v1's bounds on a report row (the server's domain/report and domain/extension rules).
const (
	maxReportedIDLength      = 256
	maxReportedVersionLength = 64
)

// dropUnreportable turns the extensions the server would refuse into warnings. One invalid row
// makes the server refuse the whole report, so a broken or hostile package.json in any home the
// agent reads (a service reads every user's) would otherwise keep the server from ever seeing
// this machine's inventory again. The warning quotes the values, which may hold terminal escapes.
func dropUnreportable(in *Installation) {
	kept := in.Extensions[:0]
	for _, e := range in.Extensions {
		if why := unreportable(e.ID, e.Version); why != "" {
			in.Warnings = append(in.Warnings, fmt.Sprintf("%s: extension %q version %q cannot be reported (%s); left out", e.Dir, e.ID, e.Version, why))
			continue
		}
		kept = append(kept, e)
	}
	in.Extensions = kept
}

// unreportable says why the server would refuse id and version, or "" (it trims both first).
func unreportable(id, version string) string {
	id, version = strings.TrimSpace(id), strings.TrimSpace(version)
	pub, name, ok := strings.Cut(id, ".")
	switch {
	case len(id) > maxReportedIDLength || !ok || !idSegment(pub) || !idSegment(name):
		return "the id must be publisher.name of lower-case letters, digits and hyphens"
	case version == "" || len(version) > maxReportedVersionLength || !utf8.ValidString(version) ||
		strings.IndexFunc(version, func(r rune) bool { return unicode.IsSpace(r) || unicode.In(r, unicode.Cc, unicode.Cf) }) >= 0:
		return "the version must be 1 to 64 characters without spaces or control characters"
	}
	return ""
}

func idSegment(s string) bool {
	return s != "" && s[0] != '-' && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}
