package httpapi

import (
	"strings"
	"testing"
)

func TestReportElementsBoundCountsTheTopLevelArraysOnly(t *testing.T) {
	const limit = 10
	items := func(n int, item string) string {
		return `{"reported_at":"2026-11-27T09:00:00Z","extensions":[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`
	}
	// Strings full of commas, brackets and escaped quotes, in keys and
	// values, must not count: only the elements of top-level arrays do.
	tricky := `{"extension_id":"a.b","version":"1,2,3,[,{,\",\\",",,":"]]]},,"}`
	for _, c := range []struct {
		name string
		body string
		want int
	}{
		{"a small report (no scan)", items(3, `{"extension_id":"a.b"}`), 10},
		{"eleven items", items(11, `{"extension_id":"a.b","installed":true}`), 11},
		{"null items", items(12, "null"), 12},
		{"commas inside strings", items(2, tricky), 2},
		{"nested arrays inside items", items(2, `{"x":[1,2,3,4,5,6,7,8,9,10,11]}`), 2},
		{"two top-level arrays", `{"a":[1,2,3,4,5,6],"extensions":[1,2,3,4,5,6]}`, 12},
		{"unterminated string", `{"extensions":[1,2,3,4,5,6,7,8,9,10,11,"abc`, 12},
	} {
		got := reportElementsBound([]byte(c.body), limit)
		if c.name == "a small report (no scan)" {
			// Fewer commas than the limit: only a bound is promised.
			if got > limit {
				t.Errorf("%s: bound %d over the limit", c.name, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func BenchmarkReportElementsBound(b *testing.B) {
	small := []byte(`{"extensions":[` + strings.TrimSuffix(strings.Repeat(`{"extension_id":"publisher.extension","installed":true,"version":"1.2.3","editor":"vscode"},`, 50), ",") + `]}`)
	huge := []byte(`{"extensions":[` + strings.Repeat("{},", 349_000) + `{}]}`)
	b.Run("50 items", func(b *testing.B) {
		for b.Loop() {
			reportElementsBound(small, 5000)
		}
	})
	b.Run("1 MiB of empty items", func(b *testing.B) {
		for b.Loop() {
			reportElementsBound(huge, 5000)
		}
	})
}
