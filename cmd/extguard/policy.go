package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/extguard/extguard/adapters/vscodepolicy"
)

const policyUsage = `usage: extguard policy lint-vscode [--json] FILE

  lint-vscode FILE   read a deployed AllowedExtensions policy (policy.json, the value itself,
                     a .reg file, UTF-16 or not, or an XML .mobileconfig) and list each
                     construct VS Code reads as fail-open, over-broad or never matching

Runs locally; nothing is sent anywhere. Exit codes, for CI: 0 nothing found,
2 findings, 1 error (an unreadable file, no AllowedExtensions value, bad usage).
`

// policyCommand runs `extguard policy ...`. Its exit codes are CI's: 0
// nothing to report, 2 something to report, 1 anything that went wrong.
func policyCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "lint-vscode" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, policyUsage)
			return 0
		}
		fmt.Fprint(stderr, "extguard policy: want a subcommand\n\n"+policyUsage)
		return 1
	}
	fs := flag.NewFlagSet("lint-vscode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, policyUsage)
			return 0
		}
		fmt.Fprintf(stderr, "extguard policy lint-vscode: %v\n\n%s", err, policyUsage)
		return 1
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "extguard policy lint-vscode: want exactly one FILE\n\n"+policyUsage)
		return 1
	}
	body, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "extguard policy lint-vscode: %v\n", err)
		return 1
	}
	l, err := vscodepolicy.Lint(body)
	if err != nil {
		fmt.Fprintf(stderr, "extguard policy lint-vscode: %s: %v\n", fs.Arg(0), err)
		return 1
	}
	if *asJSON {
		if l.Findings == nil {
			l.Findings = []vscodepolicy.Finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(l)
	} else {
		fmt.Fprintf(stdout, "%s (%s): %d finding(s)\n", fs.Arg(0), l.Format, len(l.Findings))
		for _, f := range l.Findings {
			key := f.Key
			if key == "" {
				key = "(the value)"
			}
			fmt.Fprintf(stdout, "  %-12s %s: %s\n", f.Effect, key, f.Reason)
		}
	}
	if len(l.Findings) > 0 {
		return 2
	}
	return 0
}
