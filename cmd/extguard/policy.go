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
       extguard policy export [--server URL] > policy.yaml
       extguard policy plan  -f FILE [--prune] [--server URL] [--json]
       extguard policy apply -f FILE [--prune] [--revision R] [--server URL] [--json]

  lint-vscode FILE   read a deployed AllowedExtensions policy (policy.json, the value itself,
                     a .reg file, UTF-16 or not, or an XML .mobileconfig) and list each
                     construct VS Code reads as fail-open, over-broad or never matching

  export             the server's current policy as a policy file (planning it back changes nothing)
  plan -f FILE       what applying the policy file (groups, catalog, assignments, blocklist) would
                     change on the server, per resource, and its impact on verdicts per group
  apply -f FILE      plan, then apply at that plan's revision (refused if the policy moved meanwhile);
                     --revision R applies at a reviewed plan's revision instead of planning again
                     (only the file that plan was made of, with the same --prune);
                     --prune deletes what the file leaves out, in the sections the file holds

lint-vscode runs locally; nothing is sent anywhere. export, plan and apply talk to --server (default
http://localhost:8080; https everywhere but on localhost, so the key never crosses a network in clear
text) with the admin API key in EXTGUARD_API_KEY.

Exit codes, for CI: lint-vscode 0 nothing found, 2 findings; export 0; plan 0 nothing to change, 2 changes
planned; apply 0 applied (or nothing to apply); every command 1 on an error (bad usage, an unreadable
or invalid file with every problem, a refused key, a policy that moved since the plan, a file other
than the one planned at --revision).
`

// policyCommand runs `extguard policy ...`. Its exit codes are CI's: 0
// nothing to report, 2 something to report, 1 anything that went wrong.
func policyCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "plan" || args[0] == "apply" || args[0] == "export") {
		return policyRemote(args[0], args[1:], getenv, stdout, stderr)
	}
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
