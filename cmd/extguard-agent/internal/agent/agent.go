package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/client"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/enforce"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/state"
	"github.com/extguard/extguard/protocol/agentv1"
)

// agent is one run of the agent and what it holds between passes.
type agent struct {
	o        Options
	log      *slog.Logger
	client   *client.Client
	store    *state.Store
	queue    *state.ReportQueue
	enforcer *enforce.Enforcer
	server   string

	enrollment state.Enrollment
	policy     agentv1.Policy // ETag "" until one was received
	interval   time.Duration  // heartbeat interval the server asked for

	scope        discovery.Scope
	fingerprint  string
	insts        []discovery.Installation
	inventory    []discovery.Item
	nativePolicy agentv1.InstalledNativePolicy
	warned       map[string]bool

	reportNeeded bool
	lastReportAt time.Time                   // when the last report was queued
	pendingRows  []agentv1.ReportedExtension // enforcement results for the next report
	offline      bool                        // the last exchange with the server failed
}

// Run runs the agent until ctx ends (or one pass with Options.Once) and returns the process exit
// code with the error that caused a non-zero one.
func Run(ctx context.Context, o Options) (int, error) {
	a, err := newAgent(o)
	if err != nil {
		return ExitError, err
	}
	if o.Once {
		return a.runOnce(ctx)
	}
	return a.runLoop(ctx)
}

func newAgent(o Options) (*agent, error) {
	if err := o.applyDefaults(); err != nil {
		return nil, err
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.Home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no home directory (use --home): %w", err)
		}
		o.Home = h
	}
	if o.StateDir == "" {
		d, err := state.DefaultDir(o.GOOS, o.Home, os.Getenv)
		if err != nil {
			return nil, err
		}
		o.StateDir = d
	}
	c, err := client.New(client.Config{Server: o.Server, Key: o.Key, Version: o.Version, HTTPClient: o.HTTPClient})
	if err != nil {
		return nil, err
	}
	store, err := state.Open(o.StateDir)
	if err != nil {
		return nil, err
	}
	queue, err := store.Reports(o.QueueFiles, o.QueueBytes)
	if err != nil {
		return nil, err
	}
	a := &agent{o: o, log: o.Logger, client: c, store: store, queue: queue, enforcer: o.Enforcer,
		server: strings.TrimRight(strings.TrimSpace(o.Server), "/"), interval: time.Minute,
		warned: map[string]bool{}, reportNeeded: true}
	if a.enforcer == nil {
		a.enforcer = enforce.New(o.Logger)
	}
	a.enforcer.OwnHome = o.Home
	if a.o.NativePolicy.User == "" {
		a.o.NativePolicy.User, _ = identity.UserName() // only macOS reads it; without it, device policy only
	}
	a.scope = discovery.Scope{Homes: append([]string{o.Home}, o.OtherHomes...), ExtensionsDirs: o.ExtensionsDirs, GOOS: o.GOOS}
	a.loadState()
	return a, nil
}

// loadState picks up the enrollment and policy of an earlier run. A corrupt file is not fatal: the
// agent enrolls again (same machine, same agent id) or downloads the policy again.
func (a *agent) loadState() {
	if e, found, err := a.store.Enrollment(); err != nil {
		a.log.Warn("enrolling again", "error", err)
	} else if found && e.Matches(a.server, a.o.Key) {
		a.enrollment = e
		a.client.SetAgentID(e.AgentID)
		a.setInterval(e.HeartbeatIntervalS)
	}
	if _, err := a.store.LoadPolicy(&a.policy); err != nil {
		a.log.Warn("fetching the policy again", "error", err)
		a.policy = agentv1.Policy{}
	}
}

func (a *agent) runOnce(ctx context.Context) (int, error) {
	res, err := a.pass(ctx, true, true)
	a.logPass(res, nil) // the caller reports err
	switch {
	case client.IsRejected(err): // as in the loop: a person must act
		return ExitRejected, explain(err)
	case err != nil:
		return ExitError, explain(err)
	case res.verdict == nil:
		return ExitError, errors.New("the server did not answer the report")
	}
	if a.o.Out != nil {
		printVerdict(a.o.Out, *res.verdict)
	}
	if res.verdict.Compliant {
		return ExitCompliant, nil
	}
	return ExitNonCompliant, nil
}

// runLoop runs passes for ever: the network part at the heartbeat interval (or the back-off after a
// failure), the cheap look at the editors' folders every PollInterval.
func (a *agent) runLoop(ctx context.Context) (int, error) {
	bo := backoff{min: a.o.MinBackoff, max: a.o.MaxBackoff}
	now := time.Now()
	nextNetwork, nextPoll := now, now
	for {
		now = time.Now()
		networkDue, pollDue := !now.Before(nextNetwork), !now.Before(nextPoll)
		res, err := a.pass(ctx, networkDue, pollDue)
		if ctx.Err() != nil {
			return ExitCompliant, nil
		}
		a.logPass(res, err)
		if client.IsRejected(err) {
			return ExitRejected, explain(err)
		}
		if pollDue {
			nextPoll = now.Add(a.o.PollInterval)
		}
		// Counted from the end of the pass: discovery may have taken a while, and the wait is
		// what the server is owed between two attempts.
		switch end := time.Now(); {
		case err != nil:
			nextNetwork = end.Add(max(bo.next(), client.RetryAfterOf(err)))
		case networkDue:
			bo.reset()
			nextNetwork = end.Add(a.interval)
		}
		if !sleepUntil(ctx, earliest(nextNetwork, nextPoll)) {
			return ExitCompliant, nil
		}
	}
}

// explain turns the server's refusal into what a person must do about it.
func explain(err error) error {
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || !apiErr.Rejected() {
		return err
	}
	if apiErr.Status == 401 {
		return fmt.Errorf("the server refused the API key (%w); stopping: set a valid agent key of the group", err)
	}
	return fmt.Errorf("the server refuses this agent (%w); stopping: it may have been decommissioned or the key belongs to another group", err)
}

func (a *agent) setInterval(seconds int) {
	if seconds > 0 {
		a.interval = min(max(time.Duration(seconds)*time.Second, time.Second), time.Hour)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
