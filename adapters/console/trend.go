package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/extguard/extguard/application"
)

// The trend chart's geometry, in SVG user units: the plot runs from
// (trendLeft, trendTop) for 100% to (trendRight, trendBottom) for 0%; the
// left margin holds the percent labels.
const (
	trendWidth, trendHeight = 600, 170
	trendLeft, trendRight   = 44, 590
	trendTop, trendBottom   = 10, 140
)

// trendChart is the overview's 30-day compliance chart, laid out on the
// server (an inline SVG: no script, no style attribute) with the same
// numbers as a table for those who cannot see it.
type trendChart struct {
	Width, Height int
	Left, Right   int    // the plot's x extent (grid lines and axis labels)
	Line          string // the polyline's points
	Points        []trendPoint
	Grid          []trendGrid
	First, Last   string // the window's first and last day, the x axis labels
	LabelY        int
}

type trendPoint struct {
	X, Y      string
	Day       string
	Pct       int
	Compliant int
	Total     int
}

type trendGrid struct {
	Y     string
	Label string
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// newTrendChart places each day by its date in the window ending today (the
// last day: the use case always answers today, computed live), so days
// nobody recorded leave a gap in the x axis rather than squeezing it.
func newTrendChart(days []application.ComplianceDay) trendChart {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if len(days) > 0 {
		today = days[len(days)-1].Day
	}
	first := today.AddDate(0, 0, 1-application.TrendDays)
	c := trendChart{Width: trendWidth, Height: trendHeight, Left: trendLeft, Right: trendRight, LabelY: trendBottom + 22,
		First: first.Format(time.DateOnly), Last: today.Format(time.DateOnly)}
	step := float64(trendRight-trendLeft) / float64(application.TrendDays-1)
	for _, pct := range []int{100, 50, 0} {
		c.Grid = append(c.Grid, trendGrid{Y: coord(yOf(pct)), Label: strconv.Itoa(pct) + "%"})
	}
	line := make([]string, 0, len(days))
	for _, d := range days {
		i := int(d.Day.Sub(first).Hours() / 24)
		pct := 0
		if d.Total > 0 {
			pct = d.Compliant * 100 / d.Total
		}
		p := trendPoint{X: coord(trendLeft + float64(i)*step), Y: coord(yOf(pct)), Day: d.Day.Format(time.DateOnly),
			Pct: pct, Compliant: d.Compliant, Total: d.Total}
		c.Points = append(c.Points, p)
		line = append(line, p.X+","+p.Y)
	}
	c.Line = strings.Join(line, " ")
	return c
}

func yOf(pct int) float64 {
	return trendBottom - float64(pct)*(trendBottom-trendTop)/100
}
