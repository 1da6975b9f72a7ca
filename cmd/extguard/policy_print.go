package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

type change struct {
	Resource string         `json:"resource"`
	Key      string         `json:"key"`
	Action   string         `json:"action"`
	Before   map[string]any `json:"before"`
	After    map[string]any `json:"after"`
}

type planAnswer struct {
	raw      json.RawMessage
	Revision string   `json:"revision"`
	Changes  []change `json:"changes"`
	Impact   struct {
		Agents  int `json:"agents"`
		Enforce int `json:"enforce"`
		Audit   int `json:"audit"`
		Groups  []struct {
			GroupName   string `json:"group_name"`
			Enforcement string `json:"enforcement"`
			Agents      int    `json:"agents"`
		} `json:"groups"`
	} `json:"impact"`
	Verdicts verdictsAnswer `json:"verdicts"`
}

type verdictsAnswer struct {
	TurnNonCompliant int `json:"turn_non_compliant"`
	TurnCompliant    int `json:"turn_compliant"`
	Uninstalls       int `json:"uninstalls"`
	RequiredInstalls int `json:"required_installs"`
	Groups           []struct {
		GroupName        string `json:"group_name"`
		Mode             string `json:"mode"`
		Enforcement      string `json:"enforcement"`
		TurnNonCompliant int    `json:"turn_non_compliant"`
		TurnCompliant    int    `json:"turn_compliant"`
		Uninstalls       int    `json:"uninstalls"`
		RequiredInstalls int    `json:"required_installs"`
		Extensions       []struct {
			ExtensionID  string `json:"extension_id"`
			Kind         string `json:"kind"`
			NonCompliant int    `json:"non_compliant"`
			Compliant    int    `json:"compliant"`
			Uninstalls   int    `json:"uninstalls"`
			Installs     int    `json:"installs"`
		} `json:"extensions"`
	} `json:"groups"`
}

type appliedAnswer struct {
	raw         json.RawMessage
	ChangeSetID string   `json:"change_set_id"`
	Changes     []change `json:"changes"`
}

// printPlan is the readable diff: + create, ~ change (the fields that
// change), - delete, per resource, then what it does to verdicts per group
// and what the added blocks match.
func printPlan(w io.Writer, p planAnswer) {
	if len(p.Changes) == 0 {
		fmt.Fprintln(w, "No changes: the server already holds this policy.")
		return
	}
	printChanges(w, p.Changes)
	printVerdicts(w, p.Verdicts)
	im := p.Impact
	if im.Agents > 0 {
		fmt.Fprintf(w, "\nBlocks added: %d agent(s) have an extension they cover (%d in enforce groups, %d in audit groups).\n",
			im.Agents, im.Enforce, im.Audit)
		for _, g := range im.Groups {
			fmt.Fprintf(w, "  %-30q %-8s %d\n", g.GroupName, g.Enforcement, g.Agents)
		}
	}
	fmt.Fprintf(w, "\n%d change(s) planned against revision %s.\n", len(p.Changes), p.Revision)
}

func printVerdicts(w io.Writer, v verdictsAnswer) {
	fmt.Fprintf(w, "\nImpact on verdicts: %d agent(s) turn non-compliant, %d turn compliant; enforce groups would order %d uninstall(s) and %d required install(s).\n",
		v.TurnNonCompliant, v.TurnCompliant, v.Uninstalls, v.RequiredInstalls)
	for _, g := range v.Groups {
		fmt.Fprintf(w, "  group %q (%s, %s): %d turn non-compliant, %d turn compliant, %d uninstall(s), %d required install(s)\n",
			g.GroupName, g.Mode, g.Enforcement, g.TurnNonCompliant, g.TurnCompliant, g.Uninstalls, g.RequiredInstalls)
		for _, x := range g.Extensions {
			fmt.Fprintf(w, "    %-40q %-16s %d non-compliant, %d compliant, %d uninstall(s), %d install(s)\n",
				x.ExtensionID, x.Kind, x.NonCompliant, x.Compliant, x.Uninstalls, x.Installs)
		}
	}
}

func printChanges(w io.Writer, changes []change) {
	for _, ch := range changes {
		switch ch.Action {
		case "create":
			fmt.Fprintf(w, "+ %s %q %s\n", ch.Resource, ch.Key, fields(ch.After))
		case "delete":
			fmt.Fprintf(w, "- %s %q\n", ch.Resource, ch.Key)
		default:
			var diffs []string
			for _, k := range sortedKeys(ch.After) {
				if before, after := shown(ch.Before[k]), shown(ch.After[k]); before != after {
					diffs = append(diffs, fmt.Sprintf("%s: %q -> %q", k, before, after))
				}
			}
			fmt.Fprintf(w, "~ %s %q %s\n", ch.Resource, ch.Key, strings.Join(diffs, ", "))
		}
	}
}

// shown is a field's value as printed: objects (a group's settings) as
// JSON, the rest as they are.
func shown(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func fields(m map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, shown(m[k])))
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
