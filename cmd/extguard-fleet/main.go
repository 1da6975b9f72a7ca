// Command extguard-fleet simulates a fleet of agents against a running
// extguard server (`extguard all`) and prints what the run cost the server:
// see cmd/extguard-load/README.md, "Fleet simulator".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	server, adminEmail, adminPassword, databaseURL string
	serverPID                                      int
	fleet, extensions, distinct, workers           int
	heartbeat                                      int // seconds, the group's interval
	duration, incidentAfter, enrollTimeout         time.Duration
	timeScale, changesPerDay, incidentShare        float64
	enrollRate                                     int
	enrollSample                                   int // 0: every agent enrolls through the API
	agentsPerKey                                   int
	warmup                                         time.Duration
}

// valid: the options a run can start with. A heartbeat of 0 s panicked
// after the whole enrollment (each agent's first heartbeat is drawn within
// one interval) and divided the incident's intervals by zero.
func (o options) valid() bool {
	return o.adminEmail != "" && o.adminPassword != "" && o.fleet >= 1 && o.heartbeat >= 1 && o.timeScale > 0 && o.agentsPerKey >= 1
}

func main() {
	var o options
	flag.StringVar(&o.server, "server", "http://127.0.0.1:8080", "base URL of the running extguard")
	flag.StringVar(&o.adminEmail, "admin-email", os.Getenv("EXTGUARD_ADMIN_EMAIL"), "admin to log in as (creates the group, key and block)")
	flag.StringVar(&o.adminPassword, "admin-password", os.Getenv("EXTGUARD_ADMIN_PASSWORD"), "its password")
	flag.StringVar(&o.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/extguard?sslmode=disable", "the server's database, for its growth")
	flag.IntVar(&o.serverPID, "server-pid", 0, "pid of the extguard process, for its CPU and RSS from /proc (0: not measured)")
	flag.IntVar(&o.fleet, "fleet", 10000, "agents to simulate")
	flag.IntVar(&o.extensions, "extensions", 50, "extensions per agent")
	flag.IntVar(&o.distinct, "distinct", 2000, "distinct extension ids across the fleet")
	flag.IntVar(&o.workers, "workers", 256, "concurrent requests at most")
	flag.IntVar(&o.heartbeat, "heartbeat", 60, "the group's heartbeat interval, seconds (agents add ±10% jitter)")
	flag.IntVar(&o.enrollRate, "enroll-rate", 500, "enrollments per second")
	flag.IntVar(&o.enrollSample, "enroll-sample", 0, "enroll only this many agents through the API (measured) and seed the rest straight into PostgreSQL, as enrollment and a first report leave them (0: all through the API)")
	flag.IntVar(&o.agentsPerKey, "agents-per-key", 250000, "agents per agent key (a key's rate limit is sized for a few hundred thousand agents)")
	flag.DurationVar(&o.warmup, "warmup", time.Minute, "after enrollment, run this long before the steady state is measured")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "steady-state run after enrollment")
	flag.DurationVar(&o.incidentAfter, "incident-after", 2*time.Minute, "when, into the steady state, the admin blocks the incident extension (0: no incident)")
	flag.DurationVar(&o.enrollTimeout, "enroll-timeout", 30*time.Minute, "give up enrolling after this")
	flag.Float64Var(&o.timeScale, "time-scale", 1, "simulated seconds per real second for the 6-hour full reports and the daily changes (heartbeats keep real time)")
	flag.Float64Var(&o.changesPerDay, "changes-per-day", 2, "inventory changes per agent per simulated day")
	flag.Float64Var(&o.incidentShare, "incident-share", 0.3, "share of agents that have the incident extension")
	flag.Parse()
	if !o.valid() {
		fmt.Fprintln(os.Stderr, "extguard-fleet: -admin-email and -admin-password (or EXTGUARD_ADMIN_EMAIL/PASSWORD) are required; -fleet >= 1, -heartbeat >= 1, -time-scale > 0, -agents-per-key >= 1")
		os.Exit(2)
	}
	// SIGINT or SIGTERM ends the run early with the report of what it
	// measured so far; a second one kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "extguard-fleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	c := newClient(o.server, o.workers)
	admin, err := setUp(ctx, c, o)
	if err != nil {
		return err
	}
	f := newFleet(o, c, admin)
	fmt.Printf("fleet of %d agents × %d extensions, group %s (%d agent keys), heartbeat %ds, time scale %gx, %g changes/agent/day, incident %s on %.0f%%\n",
		o.fleet, o.extensions, admin.groupID, len(admin.agentKeys), o.heartbeat, o.timeScale, o.changesPerDay, f.incidentID, 100*o.incidentShare)
	start := time.Now()
	viaAPI := o.fleet
	if o.enrollSample > 0 && o.enrollSample < o.fleet {
		viaAPI = o.enrollSample
	}
	f.run(ctx)
	if err := f.enroll(ctx, viaAPI); err != nil {
		printFigures(c) // what the enrollment got to
		return err
	}
	took := time.Since(start)
	fmt.Printf("enrolled %d agents through the API in %s, %.0f/s (%d errors)\n", viaAPI, took.Round(time.Millisecond),
		float64(viaAPI)/took.Seconds(), c.errors("enroll"))
	printFigures(c) // the enrollment's latencies
	if viaAPI < o.fleet {
		if err := f.seed(ctx, viaAPI); err != nil {
			return err
		}
	}
	if err := analyzeIfNoAutovacuum(ctx, o.databaseURL); err != nil {
		return err
	}
	if o.warmup > 0 { // every agent heartbeats once and the server's caches fill before the measure
		fmt.Printf("warming up for %s\n", o.warmup)
		select {
		case <-ctx.Done():
			fmt.Println("interrupted while warming up: no steady state was measured")
			return nil
		case <-time.After(o.warmup):
		}
	}
	measure(ctx, o, c, f)
	return nil
}

// measure runs the steady state (and the incident) for o.duration and
// prints its report, also when a signal ends it early.
func measure(ctx context.Context, o options, c *client, f *fleet) {
	c.reset() // the steady state's figures only
	before := sample(ctx, o)
	end := before.at.Add(o.duration)
	deadline := time.NewTimer(time.Until(end))
	defer deadline.Stop()
	var incident <-chan time.Time
	if o.incidentAfter > 0 {
		incident = time.After(o.incidentAfter)
	}
	mid := before
	var inc incidentResult
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-deadline.C:
			done = true
		case <-incident:
			mid = sample(ctx, o) // the steady state before the incident
			inc = f.runIncident(ctx, incidentUntil(time.Now(), end, o.heartbeat))
		}
	}
	if ctx.Err() != nil {
		fmt.Println("interrupted: the report covers the run so far")
	}
	// The last sample reads the database and /metrics even after a signal.
	final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	after := sample(final, o)
	f.stop()
	if !inc.blocked {
		mid = after
	}
	report(o, c, before, mid, after, after.at.Sub(before.at), f.incidentID, inc)
}
