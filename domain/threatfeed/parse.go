package threatfeed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/blocklist"
)

// Parse reads a feed's content whole. It never answers part of a feed: any
// error (bad JSON, an entry that does not validate, too many entries) fails
// the parse, and the caller keeps the feed's last good entries. Errors:
// invalid, naming the first problem.
func Parse(kind Kind, body []byte) ([]Entry, error) {
	if len(body) > MaxContentLength {
		return nil, parseError(fmt.Sprintf("content is larger than %d bytes", MaxContentLength))
	}
	var entries []Entry
	var err error
	switch kind {
	case KindVSCodeControl, KindOpenVSXControl:
		entries, err = parseControlManifest(body)
	case KindRemovedPackages:
		entries, err = parseRemovedPackages(body)
	case KindExtguard:
		entries, err = parseExtguard(body)
	default:
		_, err = ParseKind(string(kind))
		return nil, err
	}
	if err != nil {
		return nil, parseError(err.Error())
	}
	return entries, nil
}

func parseError(msg string) error {
	return domain.Invalid("feed content does not parse", domain.FieldError{Field: "content", Message: cut(msg, 500)})
}

// controlManifest is the part of the editors' extensions control manifest
// (VS Code's IRawExtensionsControlManifest, Open VSX's
// extension-control/extensions.json) that names malicious extensions; every
// other key (deprecated, search, migrateToPreRelease, ...) is ignored.
type controlManifest struct {
	Malicious      *[]string         `json:"malicious"`
	LearnMoreLinks map[string]string `json:"learnMoreLinks"`
}

// parseControlManifest: an entry of the form publisher.name names one
// extension, anything else a publisher; the editors compare both
// case-insensitively, as the patterns do.
func parseControlManifest(body []byte) ([]Entry, error) {
	var m controlManifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("not a control manifest: %v", err)
	}
	if m.Malicious == nil {
		return nil, fmt.Errorf(`not a control manifest: no "malicious" array`)
	}
	links := map[string]string{}
	for k, v := range m.LearnMoreLinks {
		links[strings.ToLower(k)] = v
	}
	var set entrySet
	for i, raw := range *m.Malicious {
		typ := blocklist.PatternPublisher
		if strings.Contains(raw, ".") {
			typ = blocklist.PatternExact
		}
		ref := links[strings.ToLower(strings.TrimSpace(raw))]
		if !strings.HasPrefix(ref, "https://") {
			ref = "" // a link the manifest gives is a courtesy; a bad one does not void the list
		}
		if err := set.add(fmt.Sprintf("malicious[%d]", i), EntryParams{PatternType: typ, Pattern: raw,
			Severity: string(SeverityCritical), Reason: "malicious", Reference: ref}); err != nil {
			return nil, err
		}
	}
	return set.list, nil
}

// extguardFeed is extguard's own format (docs/threat-feeds.md).
type extguardFeed struct {
	Version int             `json:"version"`
	Entries *[]extguardItem `json:"entries"`
}

// extguardItem names exactly one of id, publisher or pattern (a glob, or a
// regex with pattern_type "regex").
type extguardItem struct {
	ID          string   `json:"id"`
	Publisher   string   `json:"publisher"`
	Pattern     string   `json:"pattern"`
	PatternType string   `json:"pattern_type"`
	Versions    []string `json:"versions"`
	Severity    string   `json:"severity"`
	Reason      string   `json:"reason"`
	Reference   string   `json:"reference"`
}

func parseExtguard(body []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // our own format: a typo is an error, not a silently ignored field
	var f extguardFeed
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not an extguard feed: %v", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf(`"version" must be 1`)
	}
	if f.Entries == nil {
		return nil, fmt.Errorf(`no "entries" array`)
	}
	var set entrySet
	for i, it := range *f.Entries {
		where := fmt.Sprintf("entries[%d]", i)
		p := EntryParams{Versions: it.Versions, Severity: it.Severity, Reason: it.Reason, Reference: it.Reference}
		n := 0
		for _, s := range []string{it.ID, it.Publisher, it.Pattern} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s: name exactly one of id, publisher or pattern", where)
		}
		switch {
		case it.ID != "":
			p.PatternType, p.Pattern = blocklist.PatternExact, it.ID
		case it.Publisher != "":
			p.PatternType, p.Pattern = blocklist.PatternPublisher, it.Publisher
		default:
			p.PatternType, p.Pattern = blocklist.PatternGlob, it.Pattern
			if it.PatternType != "" {
				p.PatternType = blocklist.PatternType(it.PatternType)
			}
		}
		if err := set.add(where, p); err != nil {
			return nil, err
		}
	}
	return set.list, nil
}
