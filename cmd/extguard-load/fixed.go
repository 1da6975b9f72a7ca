package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// reportMaker builds load reports: the load's items, of which the last one
// changes version each time an agent's report is a change.
type reportMaker struct {
	key, etag string
	items     []loadItem
	// static is the extensions array but its last item, with the comma.
	static []byte
}

func newReportMaker(f fleet, rows int) reportMaker {
	m := reportMaker{key: f.key, etag: f.etag, items: loadItems(rows)}
	m.static = []byte{'['}
	for _, it := range m.items[:len(m.items)-1] {
		m.static = appendItem(m.static, it)
		m.static = append(m.static, ',')
	}
	return m
}

func appendItem(b []byte, it loadItem) []byte {
	return fmt.Appendf(b, `{"extension_id":%q,"installed":true,"version":%q,"sha256":%q,"editor":"vscode"}`,
		it.id, it.version, it.digest)
}

// report is agent's report after changes changes of its last extension's
// version (0: the load's inventory, as the first reports sent it).
func (m reportMaker) report(agent string, changes int) request {
	last := m.items[len(m.items)-1]
	if changes > 0 {
		last.version = "2." + strconv.Itoa(changes) + ".0"
	}
	body := make([]byte, 0, len(m.static)+400)
	body = append(body, `{"reported_at":"`...)
	body = time.Now().UTC().AppendFormat(body, time.RFC3339Nano)
	body = append(body, `","policy_etag":`...)
	body = strconv.AppendQuote(body, m.etag)
	body = append(body, `,"extensions":`...)
	body = append(body, m.static...)
	body = appendItem(body, last)
	body = append(body, "]}"...)
	return request{method: "POST", path: "/api/v1/agent/reports", key: m.key, agent: agent, body: body}
}

// fixedRatePhase sends reports at -rate for -duration, open loop: a steady
// fleet's mix, most of them repeats of the agent's inventory and
// -change-share of them with one extension changed (its version: one
// history row and one current-state row). Then, at the same rate, first
// reports of agents that never reported (every row new: -rows history rows
// and as many current-state rows each), as a fleet's enrollment sends. It
// prints both and returns the bar's verdict, which is the mix's.
func fixedRatePhase(ctx context.Context, s *server, f fleet, o options, m reportMaker) string {
	n := len(f.agents)
	var seq, changed atomic.Int64
	changes := make([]atomic.Int32, n)
	var timeline func(time.Time, []time.Duration)
	if o.timeline {
		timeline = func(start time.Time, latencies []time.Duration) {
			printTimeline(start, o.rate, latencies, s.commits.since(start))
		}
	}
	var mix fixedRate
	o.profiled("fixed", func() {
		mix = runFixedRate(ctx, newClient(s.agentURL, 4*o.rate), o.rate, o.duration, func(int) request {
			a := int(seq.Add(1)) % n
			c := changes[a].Load()
			if rand.Float64() < o.changeShare {
				c = changes[a].Add(1)
				changed.Add(1)
			}
			return m.report(f.agents[a], int(c))
		}, timeline)
	})
	printFixedRate(fmt.Sprintf("(open loop, target %d/s for %s; %.0f%% with a change: %d)", o.rate, o.duration,
		100*o.changeShare, changed.Load()), "reports at a fixed rate", mix)
	if len(f.fresh) > 0 {
		d := time.Duration(len(f.fresh)) * time.Second / time.Duration(o.rate)
		var first fixedRate
		o.profiled("fixed", func() {
			first = runFixedRate(ctx, newClient(s.agentURL, 4*o.rate), o.rate, d,
				func(i int) request { return m.report(f.fresh[i%len(f.fresh)], 0) }, nil)
		})
		printFixedRate(fmt.Sprintf("(open loop, target %d/s for %s; each agent's first: %d rows new, %.0f history rows/s)",
			o.rate, d.Round(100*time.Millisecond), o.rows, first.achievedPerSec*float64(o.rows)), "first reports, fixed rate", first)
	}
	return verdict(mix.p99 <= 100*time.Millisecond && mix.errors == 0)
}

func printFixedRate(how, name string, fr fixedRate) {
	fmt.Printf("%-26s %10.0f req/s  %s: p50 %s, p99 %s, max %s, errors %d of %d %v\n",
		name, fr.achievedPerSec, how, fr.p50.Round(100*time.Microsecond),
		fr.p99.Round(100*time.Microsecond), fr.max.Round(time.Millisecond), fr.errors, fr.sent, fr.statuses)
	if fr.firstError != "" {
		fmt.Printf("%-26s first error: %s\n", "", fr.firstError)
	}
}
