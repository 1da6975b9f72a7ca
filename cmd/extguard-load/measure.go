package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/extguard/extguard/adapters/postgres"
	"github.com/extguard/extguard/domain"
)

// bars are the verdicts of the four bars; a phase not run leaves
// its verdicts empty.
type bars struct{ heartbeat, policy, reports, fixed string }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func (b bars) print() {
	notRun := func(v string) string { return cmp.Or(v, "not run") }
	fmt.Printf("\nbars: heartbeat >= 85%% of minimal with 0 SQL: %s; policy 304 >= 90%% with 0 SQL: %s; "+
		"reports >= 80%% of raw COPY rows/s: %s; fixed rate p99 <= 100ms, no errors: %s\n",
		notRun(b.heartbeat), notRun(b.policy), notRun(b.reports), notRun(b.fixed))
}

func measure(ctx context.Context, s *server, f fleet, o options) error {
	if o.writeCosts {
		return writeCosts(ctx, s, f, o)
	}
	agentC := newClient(s.agentURL, o.conns)
	var b bars
	if !o.onlyReports {
		b.heartbeat, b.policy = saturationPhases(s, f, o, agentC)
	}
	if !o.onlySat {
		var err error
		if b.reports, b.fixed, err = reportPhases(ctx, s, f, o, agentC); err != nil {
			return err
		}
	}
	b.print()
	return nil
}

// saturationPhases measures heartbeats and policy 304s against the minimal
// endpoint, and returns their bars' verdicts.
func saturationPhases(s *server, f fleet, o options, agentC *client) (heartbeatBar, policyBar string) {
	minimalC, n := newClient(s.minimalURL, o.conns), len(f.agents)
	heartbeat := func(w, i int) request {
		return request{method: "POST", path: "/api/v1/agent/heartbeat", key: f.key, agent: f.agents[(w*7919+i)%n]}
	}
	policy304 := func(w, i int) request {
		k := (w*7919 + i) % n
		return request{method: "GET", path: "/api/v1/agent/policy", key: f.key, agent: f.agents[k], ifNoneMatch: f.etags[k]}
	}
	// The yardstick gets the same request as a heartbeat (headers included),
	// so the ratio is about what the server does with it.
	ping := func(w, i int) request {
		r := heartbeat(w, i)
		r.path = "/ping"
		return r
	}
	// Warm every cache and connection, as a running server would be: each
	// agent once first, since a second of saturation on a slow (shared)
	// machine does not reach every agent, and the first measured slice then
	// read the agents it missed from PostgreSQL.
	each(agentC, o.conns, n, 200, func(i int) request { return heartbeat(0, i) })
	saturate(agentC, o.conns, time.Second, 200, heartbeat)
	saturate(agentC, o.conns, time.Second, 304, policy304)
	saturate(minimalC, o.conns, time.Second, 200, ping)

	// The four closed loops take turns in short slices, so a change in the
	// machine's speed (these VMs share their host) falls on all of them
	// alike instead of on whichever phase it happened to hit. Each round
	// starts one loop later, so each loop takes every place in the order in
	// turn: periodic background work (the heartbeat flush every 2 s, where
	// a round of four 1 s slices takes 4 s) then falls on every loop alike,
	// where in a fixed order it fell on the same two loops all run long.
	defaultsC := newClient(s.defaultURL, o.conns)
	slice := o.phase / time.Duration(o.rounds)
	loops := []*closedLoop{
		{name: "minimal", run: func() saturation { return saturate(minimalC, o.conns, slice, 200, ping) }},
		{name: "defaults", run: func() saturation { return saturate(defaultsC, o.conns, slice, 200, ping) }},
		{name: "heartbeat", run: func() saturation { return saturate(agentC, o.conns, slice, 200, heartbeat) }},
		{name: "policy304", run: func() saturation { return saturate(agentC, o.conns, slice, 304, policy304) }},
	}
	o.profiled("saturation", func() {
		for r := range o.rounds {
			for k := range loops {
				loops[(r+k)%len(loops)].runSlice(s.sql)
			}
		}
	})
	minimal, defaultsMinimal, hb, p304 := loops[0].total, loops[1].total, loops[2], loops[3]
	line("minimal fiber endpoint", minimal, "(our server's timeouts; the yardstick of the bars)")
	line("  on fiber's defaults", defaultsMinimal, "(no read/write/idle timeouts; for reference only)")
	line("heartbeat", hb.total, fmt.Sprintf("%5.1f%% of minimal; SQL from requests: %d; flush statements: %d",
		100*hb.total.perSecond()/minimal.perSecond(), hb.sql, hb.flushes))
	line("policy 304", p304.total, fmt.Sprintf("%5.1f%% of minimal; SQL from requests: %d; flush statements: %d",
		100*p304.total.perSecond()/minimal.perSecond(), p304.sql, p304.flushes))
	return verdict(hb.total.perSecond() >= 0.85*minimal.perSecond() && hb.sql == 0 && hb.total.errors == 0),
		verdict(p304.total.perSecond() >= 0.90*minimal.perSecond() && p304.sql == 0 && p304.total.errors == 0)
}

// closedLoop is one of the saturation phase's loops, run a slice at a time.
type closedLoop struct {
	name         string
	run          func() saturation
	total        saturation
	sql, flushes int64 // statements requests caused, and flushes, during its slices
}

func (l *closedLoop) runSlice(c *sqlCounter) {
	sqlBefore, flushBefore := c.requests.Load(), c.flushes.Load()
	l.total.add(labelled(l.name, l.run))
	l.sql += c.requests.Load() - sqlBefore
	l.flushes += c.flushes.Load() - flushBefore
}

// reportPhases measures reports at saturation against raw COPYs, then at a
// fixed rate, and returns their bars' verdicts.
func reportPhases(ctx context.Context, s *server, f fleet, o options, agentC *client) (reportsBar, fixedBar string, err error) {
	n := len(f.agents)
	reports := newReportMaker(f, o.rows)
	report := func(agent string) request { return reports.report(agent, 0) }
	// Steady state: every agent has reported its inventory once, as a
	// running fleet has; the saturation's reports repeat it (each writes its
	// verdict and no history row: docs/history-and-retention.md). The
	// fixed-rate phase mixes in changes and first reports.
	if warm := each(agentC, o.conns, n, 200, func(i int) request { return report(f.agents[i]) }); warm.errors > 0 {
		return "", "", fmt.Errorf("first reports: %d errors, first: %s", warm.errors, warm.firstError)
	}
	// Raw COPY and reports take turns too, for the same reason as above.
	b0, r0 := s.batcher.Stats()
	stmts0 := s.copyStmts.Load()
	// At least three streams: on two cores fewer leave PostgreSQL idle
	// between COPYs, and the yardstick should be the best raw COPY here.
	cp, err := newCopier(ctx, s, f, max(o.committers, 3), o.rows)
	if err != nil {
		return "", "", err
	}
	defer cp.close(ctx)
	var copied, rep saturation
	rounds := max(o.rounds/2, 1)
	// Saturation of the group commit needs more requests in flight than
	// the closed loops above: each batch takes what is waiting, so with
	// too few clients the batches stay small and throughput still rises
	// with concurrency (README).
	reportC := newClient(s.agentURL, o.reportConns)
	// The profile spans every round, COPYs included (-tagfocus loop=reports
	// keeps the generator's part of the reports, server=agent the server's).
	var runErr error
	o.profiled("reports", func() {
		for range rounds {
			c, err := cp.run(ctx, "reports", o.phase/time.Duration(rounds))
			if err != nil {
				runErr = err
				return
			}
			copied.add(c)
			rep.add(labelled("reports", func() saturation {
				return saturate(reportC, o.reportConns, o.phase/time.Duration(rounds), 200, func(w, i int) request { return report(f.agents[(w*7919+i)%n]) })
			}))
		}
	})
	if runErr != nil {
		return "", "", runErr
	}
	copyRows := copied.perSecond()
	fmt.Printf("%-26s %10.0f rows/s  (5,000-row COPYs of the reports' rows, %d connections)\n", "raw COPY", copyRows, len(cp.conns))
	b1, r1 := s.batcher.Stats()
	rowsPerSec := rep.perSecond() * float64(o.rows)
	line(fmt.Sprintf("%d-row reports", o.rows), rep, fmt.Sprintf("%.0f rows/s = %5.1f%% of raw COPY; %d connections, %d batches (%.1f reports each), %d statements",
		rowsPerSec, 100*rowsPerSec/copyRows, o.reportConns, b1-b0, float64(r1-r0)/float64(max(b1-b0, 1)), s.copyStmts.Load()-stmts0))

	return verdict(rowsPerSec >= 0.80*copyRows && rep.errors == 0), fixedRatePhase(ctx, s, f, o, reports), nil
}

func line(name string, s saturation, extra string) {
	fmt.Printf("%-26s %10.0f req/s  errors %d  %s\n", name, s.perSecond(), s.errors, extra)
	if s.firstError != "" {
		fmt.Printf("%-26s first error: %s\n", "", s.firstError)
	}
}

// loadItem is one extension of a load report.
type loadItem struct{ id, version, digest string }

// loadItems are a load report's n installed extensions, with versions and
// content digests, the first of them blocked by the seed's blocklist so the
// verdict has work to do.
func loadItems(n int) []loadItem {
	items := make([]loadItem, n)
	for i := range items {
		id := "publisher" + strconv.Itoa(i%7) + ".extension-" + strconv.Itoa(i)
		if i == 0 {
			id = "evil.pack"
		}
		sum := sha256.Sum256([]byte(id))
		items[i] = loadItem{id: id, version: "1." + strconv.Itoa(i) + ".0", digest: hex.EncodeToString(sum[:])}
	}
	return items
}

// copier is the yardstick for reports: 5,000-row COPYs into the reports
// table of the rows the load's reports write (the same extensions, blocks
// of a report's rows for one agent after another, with the agent's user
// hash and the client's address), from as many connections as the report
// batcher has committers. Its connections stay open across rounds, as the
// batcher's do, so that neither pays a new backend's warm-up.
type copier struct {
	conns  []*pgx.Conn
	group  domain.ID
	agents []copiedAgent
	items  []loadItem
	next   atomic.Int64 // the agent of the next report's rows
}

type copiedAgent struct {
	id       domain.ID
	userHash string
}

func newCopier(ctx context.Context, s *server, f fleet, streams, rows int) (*copier, error) {
	c := &copier{items: loadItems(rows)}
	var agents []struct {
		ID       string `bun:"id"`
		GroupID  string `bun:"group_id"`
		UserHash string `bun:"user_hash"`
	}
	if err := s.db.NewRaw(`SELECT id::text, group_id::text, user_hash FROM agents WHERE id = ANY(?::uuid[])`,
		pgdialect.Array(f.agents)).Scan(ctx, &agents); err != nil {
		return nil, err
	}
	for _, a := range agents {
		id, err := domain.ParseID(a.ID)
		if err != nil {
			return nil, err
		}
		if c.group, err = domain.ParseID(a.GroupID); err != nil {
			return nil, err
		}
		c.agents = append(c.agents, copiedAgent{id: id, userHash: a.UserHash})
	}
	if len(c.agents) == 0 {
		return nil, fmt.Errorf("no agents to copy rows for")
	}
	for range streams {
		conn, err := pgx.Connect(ctx, s.dsn)
		if err != nil {
			c.close(ctx)
			return nil, err
		}
		c.conns = append(c.conns, conn)
	}
	return c, nil
}

func (c *copier) close(ctx context.Context) {
	for _, conn := range c.conns {
		_ = conn.Close(ctx)
	}
}

// batch is 5,000 rows: one report's rows after another, an agent each,
// their values in postgres.ReportHistoryColumns' order (a column added
// there makes the COPY fail until it is added here).
func (c *copier) batch() [][]any {
	rows := make([][]any, 0, 5000)
	now := time.Now()
	ip := netip.MustParseAddr("127.0.0.1")
	for len(rows) < cap(rows) {
		a := c.agents[int(c.next.Add(1))%len(c.agents)]
		for _, it := range c.items {
			if len(rows) == cap(rows) {
				break
			}
			rows = append(rows, []any{[16]byte(domain.NewID()), [16]byte(a.id), [16]byte(c.group), it.id,
				a.userHash, true, it.version, it.digest, ip, now, "vscode", now})
		}
	}
	return rows
}

// run copies into table from every connection for d; requests counts rows.
func (c *copier) run(ctx context.Context, table string, d time.Duration) (saturation, error) {
	cols := postgres.ReportHistoryColumns()
	var rows atomic.Int64
	errs := make(chan error, len(c.conns))
	deadline := time.Now().Add(d)
	start := time.Now()
	for _, conn := range c.conns {
		go func() {
			for time.Now().Before(deadline) {
				n, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(c.batch()))
				if err != nil {
					errs <- err
					return
				}
				rows.Add(n)
			}
			errs <- nil
		}()
	}
	var firstErr error
	for range c.conns {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return saturation{requests: rows.Load(), elapsed: time.Since(start)}, firstErr
}
