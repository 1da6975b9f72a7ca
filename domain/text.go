package domain

import (
	"fmt"
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

// Free text (names, descriptions, reasons, patterns, URLs: anything a person
// types) is written into logs, CSV and JSON exports, terminals and the
// editors' native policy files, and compared for uniqueness. So it may not
// hold characters that are structure there or that nobody can see:
//   - control characters (Unicode Cc: NUL, CR, LF, tab, DEL, the C1 range),
//     which end lines in .reg files and logs and are invalid in XML;
//   - line and paragraph separators (Zl, Zp), which JavaScript and some
//     editors treat as line ends;
//   - every format character (Cf), not only the bidi overrides, zero-width
//     characters and BOM: the rest of the category (LRM/RLM, the Arabic
//     letter mark, word joiner, soft hyphen, invisible operators, tag
//     characters) is just as invisible and reorders or hides text the same
//     way, so "ad\u00ADmin" would sit beside "admin" as well as
//     "ad\u200Bmin". The only legitimate users of Cf in such short fields
//     (ZWJ in emoji sequences, ZWNJ in Persian or Indic words) are already
//     refused by the zero-width rule, and the category is maintained by
//     Unicode, so it stays closed as new ones are added;
//   - invalid UTF-8, and U+FFFD, which is what a decoder puts in its place.

// forbiddenRune describes the first character free text may not hold and
// its position in characters (1-based), or returns "" when s is clean.
// ASCII, nearly all input, is checked without decoding.
func forbiddenRune(s string) (string, int) {
	pos := 0
	for i := 0; i < len(s); {
		pos++
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return fmt.Sprintf("%U", c), pos
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "invalid UTF-8", pos
		}
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Sprintf("%U", r), pos
		}
		i += size
	}
	return "", 0
}

// IsPrintable reports whether s is free text by the rule above, for checks
// that build their own message.
func IsPrintable(s string) bool {
	_, pos := forbiddenRune(s)
	return pos == 0
}

// CheckText records under field why s is not free text, naming the first
// bad character so that an invisible one can be found; it reports whether
// s is clean. Every domain constructor checks its text fields with it.
func (fe *FieldErrors) CheckText(field, s string) bool {
	bad, pos := forbiddenRune(s)
	if pos == 0 {
		return true
	}
	fe.Add(field, fmt.Sprintf("must not contain control or invisible formatting characters (found %s at character %d)", bad, pos))
	return false
}

// Text trims raw, checks that it is free text of min to max characters and
// records what is wrong under field. It returns the trimmed text.
func (fe *FieldErrors) Text(field, raw string, min, max int) string {
	s := strings.TrimSpace(raw)
	if n := RuneLen(s); n < min || n > max {
		if min == 0 {
			fe.Add(field, fmt.Sprintf("must be at most %d characters", max))
		} else {
			fe.Add(field, fmt.Sprintf("must be %d to %d characters", min, max))
		}
	}
	fe.CheckText(field, s)
	return s
}

// TextKept is Text for a field of an entity being changed: text equal to
// what is stored is kept as it is, not judged again, so that a row written
// under older rules (a multi-line reason, say) can still be disabled or
// edited in its other fields. Only text written now is checked; the
// renderers escape stored text whatever it holds.
func (fe *FieldErrors) TextKept(field, raw, stored string, min, max int) string {
	if stored != "" && raw == stored {
		return stored
	}
	return fe.Text(field, raw, min, max)
}

// RuneLen is the length users see, used for limits on human text.
func RuneLen(s string) int { return utf8.RuneCountInString(s) }
