// Command extguard-agent runs on developer machines: it finds every VS
// Code-family editor's extensions, reports them to the extguard server and,
// where the group's policy says so, enforces it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
)

var version = "dev"

const usage = `usage: extguard-agent <command> [flags]

commands:
  inventory [--home DIR] [--json]   print the extensions found on this machine (no server needed)
  version                           print the version
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintf(stdout, "extguard-agent %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return 0
	case "inventory":
		return inventory(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "extguard-agent: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func inventory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", "", "home directory to search (default: the user's)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintf(stderr, "extguard-agent: no home directory: %v\n", err)
			return 1
		}
		*home = h
	}
	insts, err := discovery.Discover(*home, runtime.GOOS, discovery.Options{ComputeDigests: true})
	if err != nil {
		fmt.Fprintf(stderr, "extguard-agent: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(insts)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITOR\tPROFILE\tEXTENSION\tVERSION\tCONTENT SHA-256")
	for _, in := range insts {
		for _, e := range in.Extensions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.Editor, in.Profile, e.ID, e.Version, e.ContentSHA256)
		}
		for _, w := range in.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", in.Editor, w)
		}
	}
	_ = tw.Flush()
	return 0
}
