package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// every Linux this runs on).
const clockTicks = 100

// snapshot is what the run reads at a point in time.
type snapshot struct {
	at                   time.Time
	loadavg              string
	serverCPU, pgCPU     float64 // seconds of CPU, user+system
	serverRSS            int64   // bytes
	dbSize, reportsSize  int64
	flush                histogram // extguard_heartbeat_flush_duration_seconds
	batch                histogram // extguard_heartbeat_flush_batch_duration_seconds: a flush's statements
	staleSum, staleCount float64   // extguard_task_duration_seconds{type="agents:stale_scan"}
	staleMax             float64   // upper bound of its highest non-empty bucket
}

func sample(ctx context.Context, o options) snapshot {
	s := snapshot{at: time.Now(), loadavg: loadavg()}
	if o.serverPID > 0 {
		s.serverCPU = procCPU(o.serverPID)
		s.serverRSS = procRSS(o.serverPID)
	}
	s.pgCPU = postgresCPU()
	if conn, err := pgx.Connect(ctx, o.databaseURL); err == nil {
		_ = conn.QueryRow(ctx, `SELECT pg_database_size(current_database()), (SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree('reports'))`).Scan(&s.dbSize, &s.reportsSize)
		_ = conn.Close(ctx)
	}
	s.readMetrics(o.server)
	return s
}

// procCPU is a process's user+system CPU seconds.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) start after ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

func procRSS(pid int) int64 {
	file, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
			return n * 1024
		}
	}
	return 0
}

// postgresCPU sums the CPU of every process named postgres: on a shared
// machine that includes other databases' work.
func postgresCPU() float64 {
	dirs, _ := os.ReadDir("/proc")
	total := 0.0
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			total += procCPU(pid)
		}
	}
	return total
}

// readMetrics takes the flush and stale-scan histograms from /metrics.
func (s *snapshot) readMetrics(base string) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prevStale := map[string]float64{} // per outcome
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(strings.Fields(value)[0], 64)
		switch {
		case s.flush.take("extguard_heartbeat_flush_duration_seconds", name, v):
		case s.batch.take("extguard_heartbeat_flush_batch_duration_seconds", name, v):
		case strings.HasPrefix(name, "extguard_task_duration_seconds_bucket") && strings.Contains(name, "agents:stale_scan"):
			outcome := name[:strings.Index(name, `le="`)]
			if v > prevStale[outcome] && !strings.Contains(name, `le="+Inf"`) {
				le, _ := strconv.ParseFloat(name[strings.Index(name, `le="`)+4:strings.LastIndex(name, `"`)], 64)
				s.staleMax = max(s.staleMax, le)
			}
			prevStale[outcome] = v
		case strings.HasPrefix(name, "extguard_task_duration_seconds_sum") && strings.Contains(name, "agents:stale_scan"):
			s.staleSum += v
		case strings.HasPrefix(name, "extguard_task_duration_seconds_count") && strings.Contains(name, "agents:stale_scan"):
			s.staleCount += v
		}
	}
}

// histogram is one unlabelled Prometheus histogram.
type histogram struct {
	sum, count float64
	max        float64 // upper bound of the highest non-empty bucket
	prevBucket float64
}

// take reads the line name of histogram metric, if it is one of its lines.
func (h *histogram) take(metric, name string, v float64) bool {
	switch suffix, ok := strings.CutPrefix(name, metric); {
	case !ok:
		return false
	case suffix == "_sum":
		h.sum = v
	case suffix == "_count":
		h.count = v
	case strings.HasPrefix(suffix, "_bucket"):
		if v > h.prevBucket && !strings.Contains(name, `le="+Inf"`) {
			h.max, _ = strconv.ParseFloat(name[strings.Index(name, `le="`)+4:strings.LastIndex(name, `"`)], 64)
		}
		h.prevBucket = v
	default:
		return false
	}
	return true
}

// since prints the observations between before and h: count, mean, and
// the largest bucket since the server started.
func (h histogram) since(what string, before histogram) {
	if n := h.count - before.count; n > 0 {
		fmt.Printf("%s: %.0f, mean %.1f ms, largest bucket since the server started <= %.0f ms\n", what, n, 1000*(h.sum-before.sum)/n, 1000*h.max)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// report prints the run's figures: the steady state (before the incident)
// and the whole run.
func report(o options, c *client, before, mid, after snapshot, elapsed time.Duration, incidentID string, inc incidentResult) {
	steady := mid.at.Sub(before.at).Seconds()
	fmt.Printf("\nsteady state %.0fs (before the incident), whole run %s\n", steady, elapsed.Round(time.Second))
	if o.serverPID > 0 && steady > 0 {
		fmt.Printf("server (pid %d): %.3f cores steady, %.3f cores whole run; RSS %.0f MiB at the end\n", o.serverPID,
			(mid.serverCPU-before.serverCPU)/steady, (after.serverCPU-before.serverCPU)/elapsed.Seconds(), mib(after.serverRSS))
	}
	if steady > 0 {
		fmt.Printf("postgres (every postgres process on the machine): %.3f cores steady\n", (mid.pgCPU-before.pgCPU)/steady)
	}
	growth := after.dbSize - before.dbSize
	perDay := float64(after.reportsSize-before.reportsSize) / elapsed.Seconds() * 86400 / o.timeScale
	fmt.Printf("database %.0f MiB (+%.1f MiB in the run); reports +%.1f MiB, i.e. %.0f MiB per simulated day at this fleet and rate\n",
		mib(after.dbSize), mib(growth), mib(after.reportsSize-before.reportsSize), perDay/(1<<20))
	if steady > 0 { // without the incident's uninstall rows
		steadyPerDay := float64(mid.reportsSize-before.reportsSize) / steady * 86400 / o.timeScale
		fmt.Printf("reports in the steady state: +%.1f MiB, i.e. %.0f MiB per simulated day\n",
			mib(mid.reportsSize-before.reportsSize), steadyPerDay/(1<<20))
	}
	after.flush.since("heartbeat flushes", before.flush)
	after.batch.since("heartbeat flush batches (statements)", before.batch)
	if n := after.staleCount - before.staleCount; n > 0 {
		fmt.Printf("stale scans: %.0f, mean %.1f ms, largest bucket since the server started <= %.0f ms\n", n, 1000*(after.staleSum-before.staleSum)/n, 1000*after.staleMax)
	} else {
		fmt.Println("stale scans: none in the run (the worker's /metrics is on EXTGUARD_METRICS_ADDR when it runs apart)")
	}
	if inc.blocked {
		fmt.Println(inc.summary(incidentID, o.heartbeat))
	}
	fmt.Printf("load average (/proc/loadavg): %s before, %s before the incident, %s at the end\n", before.loadavg, mid.loadavg, after.loadavg)
	printFigures(c)
}

// printFigures prints each endpoint's requests, errors and latencies.
func printFigures(c *client) {
	fmt.Printf("\n%-10s %9s %7s %9s %9s %9s  statuses\n", "endpoint", "requests", "errors", "p50", "p99", "max")
	for _, e := range c.figures() {
		fmt.Printf("%-10s %9d %7d %9s %9s %9s  %v\n", e.name, e.n, e.errs, e.p50.Round(10*time.Microsecond),
			e.p99.Round(10*time.Microsecond), e.max.Round(time.Millisecond), e.statuses)
	}
	fmt.Println()
}

// loadavg is /proc/loadavg's first three fields: on a shared machine the
// figures mean little without what else was running.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
