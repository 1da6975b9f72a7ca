package threatfeed

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/extguard/extguard/domain/blocklist"
)

// RemovedPackagesReference is where the Marketplace's removal history lives.
const RemovedPackagesReference = "https://github.com/microsoft/vsmarketplace/blob/main/RemovedPackages.md"

// parseRemovedPackages reads the Marketplace's removal history: a markdown
// table of extension id, removal date (M/D/YYYY) and type. The file is
// edited by hand, so rows may lack the leading or trailing pipe, pad cells
// unevenly or leave the type out; prose, the header and separator rows are
// skipped. A row whose first cell cannot be an extension id (the real file
// has ids glued together, "a.b.c", which VS Code's identifier pattern
// refuses, so no editor can have them installed) is skipped rather than
// voiding the other 1,800 rows; a row whose date is not a date fails the
// whole parse. A file with no usable rows at all is refused too: that is an
// error page, not an empty history.
func parseRemovedPackages(body []byte) ([]Entry, error) {
	var set entrySet
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line, rows := 0, 0
	for sc.Scan() {
		line++
		cells, ok := tableCells(sc.Text())
		if !ok || isSeparatorRow(cells) || isHeaderRow(cells) {
			continue
		}
		where := fmt.Sprintf("line %d", line)
		if len(cells) < 2 {
			return nil, fmt.Errorf("%s: a row needs an extension id and a removal date", where)
		}
		date, err := parseUSDate(cells[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		typ := ""
		if len(cells) > 2 {
			typ = cells[2]
		}
		reason := "removed from the Marketplace on " + date.Format(time.DateOnly)
		if typ != "" {
			reason = typ + ", " + reason
		}
		if _, err := blocklist.NewPattern(blocklist.PatternExact, cells[0]); err != nil {
			continue
		}
		rows++
		if err := set.add(where, EntryParams{PatternType: blocklist.PatternExact, Pattern: cells[0],
			Severity: string(removalSeverity(typ)), Reason: reason, Reference: RemovedPackagesReference}); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, fmt.Errorf("no table rows")
	}
	return set.list, nil
}

// tableCells splits a markdown table row; a line without a pipe is prose.
func tableCells(line string) ([]string, bool) {
	line = strings.TrimSpace(line)
	if !strings.Contains(line, "|") {
		return nil, false
	}
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	parts := strings.Split(line, "|")
	cells := make([]string, 0, len(parts))
	for _, p := range parts {
		cells = append(cells, strings.TrimSpace(p))
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells, len(cells) > 0 && cells[0] != ""
}

func isSeparatorRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

// isHeaderRow: a header's first cell has no dot, so an extension whose id
// merely contains "identifier" is still a row.
func isHeaderRow(cells []string) bool {
	first := strings.ToLower(cells[0])
	return !strings.Contains(first, ".") &&
		(strings.Contains(first, "identifier") || first == "extension" || first == "id")
}

// parseUSDate reads M/D/YYYY, one or two digits for month and day.
func parseUSDate(s string) (time.Time, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 {
		return time.Time{}, fmt.Errorf("removal date %q is not M/D/YYYY", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return time.Time{}, fmt.Errorf("removal date %q is not M/D/YYYY", s)
		}
		n[i] = v
	}
	m, d, y := n[0], n[1], n[2]
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || y < 2000 || y > 9999 || t.Day() != d {
		return time.Time{}, fmt.Errorf("removal date %q is not a date", s)
	}
	return t, nil
}

// removalSeverity ranks the Marketplace's removal types (its legend, plus
// Impersonation, the most common type in the file and not in the legend).
func removalSeverity(typ string) Severity {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "malware"), strings.Contains(t, "malicious"):
		return SeverityCritical
	case strings.Contains(t, "typo"), strings.Contains(t, "imperson"), strings.Contains(t, "untrustworthy"):
		return SeverityHigh
	case strings.Contains(t, "spam"):
		return SeverityMedium
	}
	return SeverityLow
}
