package agent

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/extguard/extguard/protocol/agentv1"
)

// printVerdict writes what --once found for the person who ran it: the verdict and every violation,
// since a count alone does not say what to remove.
func printVerdict(w io.Writer, v agentv1.Verdict) {
	if v.Compliant {
		fmt.Fprintln(w, "compliant")
		return
	}
	noun := "violations"
	if len(v.Violations) == 1 {
		noun = "violation"
	}
	fmt.Fprintf(w, "not compliant: %d %s\n", len(v.Violations), noun)
	if len(v.Violations) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXTENSION\tKIND\tEDITORS\tDETAIL")
	for _, x := range v.Violations {
		editors := strings.Join(x.Editors, ",")
		if editors == "" {
			editors = "-"
		}
		// One line per violation, whatever the reason text holds.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.ExtensionID, x.Kind, editors, strings.Join(strings.Fields(x.Detail), " "))
	}
	_ = tw.Flush()
}
