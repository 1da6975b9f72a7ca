package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/agent"
)

// TestEveryCommandAnswersHelp: --help and -h print the command's usage on stdout and exit 0
// without doing the command's work (run would need a server and a key, and would run for ever).
func TestEveryCommandAnswersHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"run", "--help"}, {"run", "-h"},
		{"run", "--once", "--server", "http://127.0.0.1:1", "--key", "k", "--help"}, {"inventory", "-h"},
		{"inventory", "--help"}, {"version", "--help"}, {"version", "-h"}, {"request", "--help"}, {"requests", "-h"}} {
		var stdout, stderr strings.Builder
		code := run(args, &stdout, &stderr)
		want := "usage: extguard-agent "
		if args[0] == "run" || args[0] == "inventory" || args[0] == "version" {
			want += args[0]
		}
		if code != 0 || !strings.HasPrefix(stdout.String(), want) || stderr.Len() > 0 {
			t.Errorf("extguard-agent %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
	}
}

// TestHelpListsTheExitCodes of run, in the general usage and in run's own.
func TestHelpListsTheExitCodes(t *testing.T) {
	codes := map[int]string{agent.ExitCompliant: "compliant", agent.ExitError: "error", agent.ExitUsage: "bad command line",
		agent.ExitNonCompliant: "not compliant", agent.ExitRejected: "the server refuses this agent"}
	for _, args := range [][]string{{"--help"}, {"run", "--help"}} {
		var stdout strings.Builder
		run(args, &stdout, &strings.Builder{})
		for code, meaning := range codes {
			if line := fmt.Sprintf("\n  %d  %s", code, meaning); !strings.Contains(stdout.String(), line) {
				t.Errorf("%v does not list exit code %d (%s):\n%s", args, code, meaning, stdout.String())
			}
		}
	}
}

func TestBadCommandLinesExit2WithTheUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"run", "--bogus"}, {"run", "--server", "http://x", "--key", "k", "extra"},
		{"run"}, {"inventory", "extra"}, {"version", "now"}} {
		var stdout, stderr strings.Builder
		t.Setenv("EXTGUARD_SERVER", "")
		t.Setenv("EXTGUARD_KEY", "")
		if code := run(args, &stdout, &stderr); code != agent.ExitUsage || !strings.Contains(stderr.String(), "usage") && !strings.Contains(stderr.String(), "required") {
			t.Errorf("extguard-agent %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr.String())
		}
	}
}
