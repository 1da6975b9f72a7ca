package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeSHA256 accepts a hex SHA-256 digest in either case and returns it in
// lower case, the one form stored and compared everywhere.
func NormalizeSHA256(s string) (string, bool) {
	if len(s) != 64 {
		return "", false
	}
	upper := false
	for i := 0; i < len(s); i++ {
		switch hexClass[s[i]] {
		case notHex:
			return "", false
		case upperHex:
			upper = true
		}
	}
	if !upper {
		return s, true // the usual case: agents send lowercase
	}
	return strings.ToLower(s), true
}

// hexClass sorts bytes for NormalizeSHA256, which runs on every item of
// every report.
var hexClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			t[c] = lowerHex
		case c >= 'A' && c <= 'F':
			t[c] = upperHex
		}
	}
	return t
}()

const (
	notHex = iota
	lowerHex
	upperHex
)

// IsPrintable reports whether s is valid UTF-8 without control characters:
// such text ends up in logs, terminals and CSV exports.
func IsPrintable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// RuneLen is the length users see, used for limits on human text.
func RuneLen(s string) int { return utf8.RuneCountInString(s) }

// IsPrintableText is IsPrintable for multi-line human text (descriptions,
// reasons): newlines and tabs are allowed, other control characters are not.
func IsPrintableText(s string) bool {
	return IsPrintable(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s))
}
