// Package blocklist holds the patterns that block extensions for every group:
// exact ids, whole publishers, globs and anchored RE2 expressions. Patterns
// are validated and compiled when written, never at evaluation time.
package blocklist

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/extension"
)

// PatternType says how a pattern is read.
type PatternType string

const (
	PatternExact     PatternType = "exact"     // one extension id
	PatternPublisher PatternType = "publisher" // every extension of a publisher
	PatternGlob      PatternType = "glob"      // `*` and `?` over the id
	PatternRegex     PatternType = "regex"     // RE2, anchored, case-insensitive
)

const (
	MaxGlobLength  = 256
	MaxRegexLength = 512
	// maxRegexProgram bounds the compiled size of a regex: RE2 runs in linear
	// time, but the constant is the program size, and `(a{1000}){1000}`-like
	// patterns would make every evaluation slow.
	maxRegexProgram = 10000
)

// ParsePatternType accepts the four pattern types.
func ParsePatternType(s string) (PatternType, error) {
	switch t := PatternType(strings.ToLower(strings.TrimSpace(s))); t {
	case PatternExact, PatternPublisher, PatternGlob, PatternRegex:
		return t, nil
	}
	return "", domain.Invalid("invalid pattern type",
		domain.FieldError{Field: "pattern_type", Message: "must be exact, publisher, glob or regex"})
}

// Pattern is a validated, compiled matcher over extension ids.
type Pattern struct {
	typ    PatternType
	source string
	re     *regexp.Regexp
}

// NewPattern validates and compiles a pattern. Exact and publisher patterns
// and globs are stored lower-cased, since ids are; a regex keeps its text and
// is compiled case-insensitively.
func NewPattern(t PatternType, pattern string) (Pattern, error) {
	t, err := ParsePatternType(string(t))
	if err != nil {
		return Pattern{}, err
	}
	pattern = strings.TrimSpace(pattern)
	var fe domain.FieldErrors
	if !fe.CheckText("pattern", pattern) {
		return Pattern{}, fe.Err("invalid pattern")
	}
	switch t {
	case PatternExact:
		id, err := extension.ParseExtensionID(pattern)
		if err != nil {
			return Pattern{}, patternError(err)
		}
		return Pattern{typ: t, source: id.String()}, nil
	case PatternPublisher:
		p, err := extension.ParsePublisher(pattern)
		if err != nil {
			return Pattern{}, patternError(err)
		}
		return Pattern{typ: t, source: p}, nil
	case PatternGlob:
		return newGlob(pattern)
	default:
		return newRegex(pattern, true)
	}
}

// RestorePattern compiles a stored pattern (a blocklist row, a cached
// policy's rule) without the write-time limits: they held when it was
// written, and tightening them later must not make existing blocks disappear.
func RestorePattern(t PatternType, pattern string) (Pattern, error) {
	switch t {
	case PatternRegex:
		return newRegex(pattern, false)
	case PatternExact, PatternPublisher, PatternGlob:
		return Pattern{typ: t, source: pattern}, nil
	}
	_, err := ParsePatternType(string(t))
	return Pattern{}, err
}

func patternError(err error) error {
	var fe domain.FieldErrors
	fe.AddErr("pattern", err)
	return fe.Err("invalid pattern")
}

func invalidPattern(msg string) error {
	return domain.Invalid("invalid pattern", domain.FieldError{Field: "pattern", Message: msg})
}

func newGlob(pattern string) (Pattern, error) {
	g := strings.ToLower(pattern)
	if g == "" || len(g) > MaxGlobLength {
		return Pattern{}, invalidPattern("a glob must be 1 to 256 characters")
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '*' || c == '?') {
			return Pattern{}, invalidPattern("a glob may only contain letters, digits, '.', '-', '*' and '?'")
		}
	}
	return Pattern{typ: PatternGlob, source: g}, nil
}

func newRegex(pattern string, limits bool) (Pattern, error) {
	if pattern == "" || (limits && len(pattern) > MaxRegexLength) {
		return Pattern{}, invalidPattern("a regex must be 1 to 512 characters")
	}
	// Parsing the text alone first refuses `a)|(b`, which would otherwise
	// escape the anchoring group we wrap around it.
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return Pattern{}, invalidPattern("not a valid RE2 expression: " + err.Error())
	}
	if limits {
		prog, err := syntax.Compile(parsed.Simplify())
		if err != nil || len(prog.Inst) > maxRegexProgram {
			return Pattern{}, invalidPattern("regex is too complex; simplify its repetitions")
		}
	}
	re, err := regexp.Compile(`(?i)^(?:` + pattern + `)$`)
	if err != nil {
		return Pattern{}, invalidPattern("not a valid RE2 expression: " + err.Error())
	}
	return Pattern{typ: PatternRegex, source: pattern, re: re}, nil
}

func (p Pattern) Type() PatternType { return p.typ }

// String is the pattern as stored and shown.
func (p Pattern) String() string { return p.source }

// IsZero reports an unset pattern, which matches nothing.
func (p Pattern) IsZero() bool { return p.typ == "" }

// Matches reports whether the pattern covers the extension id.
func (p Pattern) Matches(id extension.ExtensionID) bool {
	switch p.typ {
	case PatternExact:
		return string(id) == p.source
	case PatternPublisher:
		return id.Publisher() == p.source
	case PatternGlob:
		return globMatch(p.source, string(id))
	case PatternRegex:
		return p.re != nil && p.re.MatchString(string(id))
	}
	return false
}

// globMatch is the classic iterative wildcard match: on a mismatch it
// resumes after the most recent `*`, so the worst case is O(len(glob) ×
// len(s)) and no input can make it backtrack exponentially.
func globMatch(glob, s string) bool {
	gi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case gi < len(glob) && (glob[gi] == '?' || glob[gi] == s[si]):
			gi++
			si++
		case gi < len(glob) && glob[gi] == '*':
			star, mark = gi, si
			gi++
		case star >= 0:
			mark++
			gi, si = star+1, mark
		default:
			return false
		}
	}
	for gi < len(glob) && glob[gi] == '*' {
		gi++
	}
	return gi == len(glob)
}
