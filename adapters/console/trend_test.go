package console_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/extguard/extguard/domain/user"
)

// TestOverviewDrawsTheThirtyDayTrend: the overview draws the recorded days
// and today (live, though nothing recorded it) as an inline SVG, one dot
// per day, with the same numbers in a table; a day older than the window
// is left out.
func TestOverviewDrawsTheThirtyDayTrend(t *testing.T) {
	e := newEnv(t)
	g := e.group("trend")
	e.enroll(g, "trend-agent", "m-trend")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for back, counts := range map[int][2]int{3: {7, 9}, 31: {1, 9}} {
		if _, err := e.db.ExecContext(context.Background(), `INSERT INTO compliance_daily (day, group_id, compliant, total) VALUES (?::date, ?, ?, ?)`,
			today.AddDate(0, 0, -back).Format(time.DateOnly), g.String(), counts[0], counts[1]); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := e.signIn(user.RoleViewer)
	a := b.do("GET", "/console/", nil)
	if a.status != http.StatusOK {
		t.Fatalf("overview: %d %.3000s", a.status, a.body)
	}
	chart := regexp.MustCompile(`(?s)<svg[^>]*class="trend-chart".*?</svg>`).FindString(a.body)
	if chart == "" || !strings.Contains(chart, `role="img"`) || !strings.Contains(chart, "<polyline points=") {
		t.Fatalf("no trend chart: %.3000s", a.body)
	}
	if n := strings.Count(chart, "<circle"); n != 2 {
		t.Errorf("%d dots; want 2 (three days ago and today)", n)
	}
	day := today.AddDate(0, 0, -3).Format(time.DateOnly)
	if !strings.Contains(a.body, "<tr><td>"+day+"</td><td>7</td><td>9</td><td>77%</td></tr>") {
		t.Errorf("the table has no row for %s: %.3000s", day, a.body)
	}
	if !regexp.MustCompile(`<tr><td>` + today.Format(time.DateOnly) + `</td><td>\d+</td><td>[1-9]\d*</td>`).MatchString(a.body) {
		t.Error("no live point for today")
	}
	if strings.Contains(a.body, today.AddDate(0, 0, -31).Format(time.DateOnly)) {
		t.Error("a day older than 30 days is shown")
	}
}
