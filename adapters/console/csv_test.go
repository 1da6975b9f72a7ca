package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/extguard/extguard/domain/user"
)

// The CSV download carries agent-supplied text (names, machine ids): a cell
// that a spreadsheet would read as a formula is prefixed with a quote.
func TestInstallationsCSVNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	g := e.group("csv")
	e.enroll(g, `=HYPERLINK("http://evil.example","x")`, "+cmd|' /C calc'!A0")
	if _, err := e.db.NewRaw(`INSERT INTO installations (agent_id, editor, extension_id, group_id, installed_version, reported_at)
		SELECT id, 'vscode', 'csv.pack', group_id, '1.0.0', now() FROM agents WHERE group_id = ?`, g.String()).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(user.RoleViewer)
	a := b.do("GET", "/console/installations.csv?extension_id=csv.pack", nil)
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", a.status, a.header)
	}
	rows, err := csv.NewReader(strings.NewReader(a.body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v, %d rows: %s", err, len(rows), a.body)
	}
	for i, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("column %s starts a formula: %q", rows[0][i], cell)
		}
	}
	if rows[1][0] != `'=HYPERLINK("http://evil.example","x")` || rows[1][1] != "'+cmd|' /C calc'!A0" {
		t.Fatalf("the cells are not the agent's text, quoted: %q", rows[1])
	}
}
