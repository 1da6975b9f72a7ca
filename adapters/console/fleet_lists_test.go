package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/extguard/extguard/adapters/postgres/pgtest"
	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/user"
)

// TestInstallationsCSVStreamsEveryRow: a download of more rows than three
// pages of the use case is streamed (chunked, no length: rows go out as
// they are read), holds every installation once, and still neutralises an
// agent-supplied formula.
func TestInstallationsCSVStreamsEveryRow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f, err := pgtest.SeedFleet(ctx, pgtest.DSN(t), pgtest.Fleet{Groups: 2, Agents: 2600, ExtensionsPerAgent: 2, Distinct: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := e.count(`SELECT count(*) FROM installations WHERE extension_id = ?`, f.Common)
	if want <= 1500 {
		t.Fatalf("the fixture has %d rows; want more than three pages of 500", want)
	}
	if _, err := e.db.ExecContext(ctx, `UPDATE agents SET display_name = '=HYPERLINK("x")' WHERE id = (
		SELECT agent_id FROM installations WHERE extension_id = ? ORDER BY agent_id DESC LIMIT 1)`, f.Common); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(user.RoleViewer)
	a := b.do("GET", "/console/installations.csv?extension_id="+url.QueryEscape(f.Common), nil)
	if a.status != http.StatusOK || a.header.Get("Content-Length") != "" {
		t.Fatalf("csv: %d, Content-Length %q (a streamed answer has none)", a.status, a.header.Get("Content-Length"))
	}
	rows, err := csv.NewReader(strings.NewReader(a.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if r[4] != f.Common || seen[r[2]] {
			t.Fatalf("row %q: another extension, or an agent twice", r)
		}
		seen[r[2]] = true
	}
	if len(rows)-1 != want || rows[0][0] != "display_name" {
		t.Fatalf("%d rows after the header %q; want %d", len(rows)-1, rows[0], want)
	}
	if last := rows[len(rows)-1]; last[0] != `'=HYPERLINK("x")` || !strings.HasPrefix(last[3], "fleet-") {
		t.Fatalf("last row %q: want the quoted formula and its group's name", last)
	}
}

// manyGroups makes n more groups (SQL: the use case would take seconds)
// and answers the one that lists last, past the first page of 500.
func (e *env) manyGroups(n int) domain.ID {
	e.t.Helper()
	ctx := context.Background()
	tag := domain.NewID().String()[24:]
	if _, err := e.db.ExecContext(ctx, `INSERT INTO groups (name) SELECT 'many-' || ? || '-' || i FROM generate_series(1, ?) i`, tag, n); err != nil {
		e.t.Fatal(err)
	}
	var last string
	if err := e.db.NewRaw(`SELECT id FROM groups WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1`).Scan(ctx, &last); err != nil {
		e.t.Fatal(err)
	}
	id, _ := domain.ParseID(last)
	return id
}

// TestGroupNamesPastTheFirstPage: with more than 500 groups, a row of a
// group past the first page still shows its name, and the group filter
// says it offers only the first 500 instead of cutting silently.
func TestGroupNamesPastTheFirstPage(t *testing.T) {
	e := newEnv(t)
	g := e.manyGroups(510)
	var name string
	if err := e.db.NewRaw(`SELECT name FROM groups WHERE id = ?`, g.String()).Scan(context.Background(), &name); err != nil {
		t.Fatal(err)
	}
	e.enroll(g, "far-agent", "m-far-"+e.ip)
	b, _ := e.signIn(user.RoleViewer)
	a := b.do("GET", "/console/agents?group_id="+g.String(), nil)
	if a.status != http.StatusOK || !strings.Contains(a.body, "<td>"+name+"</td>") {
		t.Fatalf("agents: %d, no row naming %s: %.3000s", a.status, name, a.body)
	}
	if !strings.Contains(a.body, "Only the first 500 groups are offered here") {
		t.Fatal("the group filter is cut without saying so")
	}
	var agentID string
	if err := e.db.NewRaw(`SELECT id FROM agents WHERE group_id = ?`, g.String()).Scan(context.Background(), &agentID); err != nil {
		t.Fatal(err)
	}
	if a := b.do("GET", "/console/agents/"+agentID, nil); a.status != http.StatusOK || !strings.Contains(a.body, name) {
		t.Fatalf("agent page: %d, no group name %s", a.status, name)
	}
}

// TestGroupPagePagesAssignmentsAndKeys: a group with more than a page of
// assignments and of keys links to the next page of each, which shows the
// rest; nothing is cut silently.
func TestGroupPagePagesAssignmentsAndKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.group("paged")
	tag := strings.ReplaceAll(e.ip, ".", "")
	if _, err := e.db.ExecContext(ctx, `INSERT INTO extensions (extension_id, name, publisher)
		SELECT 'pagedpub' || ? || '.ext' || lpad(i::text, 4, '0'), 'ext' || i, 'pagedpub' || ? FROM generate_series(1, 505) i`, tag, tag); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(ctx, `INSERT INTO group_extensions (group_id, extension_id)
		SELECT ?, id FROM extensions WHERE publisher = 'pagedpub' || ?`, g.String(), tag); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(ctx, `INSERT INTO api_keys (group_id, key_hash, key_prefix, name, scopes)
		SELECT ?, md5(? || i) || md5(i::text), 'egk_' || i, 'paged-key-' || lpad(i::text, 4, '0'), 'agent' FROM generate_series(1, 503) i`, g.String(), g.String()); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(user.RoleViewer)
	page := "/console/groups/" + g.String()
	first := b.do("GET", page, nil)
	next := map[string]*regexp.Regexp{
		"assignments": regexp.MustCompile(`<a class="next" href="([^"]+)">next assignments</a>`),
		"keys":        regexp.MustCompile(`<a class="next" href="([^"]+)">next keys</a>`),
	}
	rows := map[string]*regexp.Regexp{
		"assignments": regexp.MustCompile(`<td>pagedpub` + tag + `\.ext\d{4}</td>`),
		"keys":        regexp.MustCompile(`<td>paged-key-\d{4}</td>`),
	}
	for list, total := range map[string]int{"assignments": 505, "keys": 503} {
		m := next[list].FindStringSubmatch(first.body)
		if first.status != http.StatusOK || m == nil {
			t.Fatalf("%s: %d, no link to the next page", list, first.status)
		}
		second := b.do("GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
		n1, n2 := len(rows[list].FindAllString(first.body, -1)), len(rows[list].FindAllString(second.body, -1))
		if second.status != http.StatusOK || n1 != 500 || n1+n2 != total || next[list].MatchString(second.body) {
			t.Fatalf("%s: %d then %d rows (status %d); want 500 and the other %d, no third page", list, n1, n2, second.status, total-500)
		}
	}
	if a := b.do("GET", page+"?keys_cursor=garbage", nil); a.status != http.StatusBadRequest {
		t.Fatalf("a garbage cursor: %d", a.status)
	}
}

// TestBlockFromPublisherAndPatternSearches: a publisher or a pattern
// search offers the Block action with its own pattern type; the impact
// preview counts the agents it would block and writes nothing, then the
// entry is created with that type and pattern.
func TestBlockFromPublisherAndPatternSearches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.group("blockpub")
	pub := "blockpub" + strings.ReplaceAll(e.ip, ".", "")
	for i, m := range []string{"a", "b"} {
		e.enroll(g, "bp-"+m, "m-bp-"+m+e.ip)
		if _, err := e.db.ExecContext(ctx, `INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
			SELECT id, 'vscode', ?, group_id, '1.0.0', now() FROM agents WHERE machine_id = ?`, pub+".tool"+strconv.Itoa(i), "m-bp-"+m+e.ip); err != nil {
			t.Fatal(err)
		}
	}
	editor, _ := e.signIn(user.RoleEditor)
	for _, c := range []struct{ query, typ, pattern string }{
		{"publisher=" + pub, "publisher", pub},
		{"pattern=" + pub + ".tool*", "glob", pub + ".tool*"},
		{"pattern=" + pub + `\.tool[0-9]&pattern_type=regex`, "regex", pub + `\.tool[0-9]`},
	} {
		page := editor.do("GET", "/console/installations?"+strings.ReplaceAll(c.query, `\`, "%5C"), nil)
		form := `<input type="hidden" name="pattern_type" value="` + c.typ + `">
<input type="hidden" name="pattern" value="` + c.pattern + `">`
		if page.status != http.StatusOK || !strings.Contains(page.body, form) {
			t.Fatalf("%s: %d, no Block form for %s %s: %.3000s", c.query, page.status, c.typ, c.pattern, page.body)
		}
		before := e.count(`SELECT count(*) FROM blocklist`)
		im := editor.do("POST", "/console/installations/impact", url.Values{"csrf": {csrf(t, page)}, "pattern_type": {c.typ}, "pattern": {c.pattern}, "reason": {"test"}})
		if im.status != http.StatusOK || !strings.Contains(im.body, "<strong>2</strong> agents") || e.count(`SELECT count(*) FROM blocklist`) != before {
			t.Fatalf("%s impact: %d, want 2 agents and nothing written: %.2000s", c.typ, im.status, im.body)
		}
	}
	page := editor.do("GET", "/console/installations?publisher="+pub, nil)
	if a := editor.do("POST", "/console/blocklist", url.Values{"csrf": {csrf(t, page)}, "pattern_type": {"publisher"}, "pattern": {pub}, "reason": {"test"}}); a.status != http.StatusSeeOther {
		t.Fatalf("create: %d", a.status)
	}
	if n := e.count(`SELECT count(*) FROM blocklist WHERE pattern_type = 'publisher' AND pattern = ?`, pub); n != 1 {
		t.Fatalf("%d publisher entries for %s", n, pub)
	}
}

// TestViewerImpactPreviewOffersNoCreate: the impact preview needs only
// read (as POST /api/v1/blocklist/impact does), so a viewer may post it,
// but the answer carries no "Create the blocklist entry" form for a
// viewer: a control the viewer could not use. An editor gets it.
func TestViewerImpactPreviewOffersNoCreate(t *testing.T) {
	e := newEnv(t)
	body := url.Values{"pattern_type": {"exact"}, "pattern": {"viewer.preview"}, "reason": {"test"}}
	for _, c := range []struct {
		role   user.Role
		create bool
	}{{user.RoleViewer, false}, {user.RoleEditor, true}} {
		b, _ := e.signIn(c.role)
		body.Set("csrf", b.tokenOf("/console/"))
		a := b.do("POST", "/console/installations/impact", body)
		if a.status != http.StatusOK || !strings.Contains(a.body, "Impact of blocking viewer.preview") {
			t.Fatalf("%s impact: %d %.1000s", c.role, a.status, a.body)
		}
		if got := strings.Contains(a.body, `action="/console/blocklist"`); got != c.create {
			t.Errorf("%s: create form shown %v, want %v", c.role, got, c.create)
		}
	}
}
