package httpapi

import "github.com/extguard/extguard/application"

// impactDoc is an impact answer: the blocklist preview's, and each group's
// share in a policy plan.
type impactDoc struct {
	Agents  int                `json:"agents"`  // distinct agents that would be blocked
	Enforce int                `json:"enforce"` // of which in enforce groups: each uninstalls
	Audit   int                `json:"audit"`   // of which in audit groups: each turns non-compliant
	Groups  []groupImpactDoc   `json:"groups"`
	Sample  []impactedAgentDoc `json:"sample"` // the first agents by id, at most 20
}

type groupImpactDoc struct {
	GroupID     string `json:"group_id"`
	GroupName   string `json:"group_name"`
	Enforcement string `json:"enforcement"`
	Agents      int    `json:"agents"`
}

type impactedAgentDoc struct {
	AgentID     string  `json:"agent_id"`
	DisplayName string  `json:"display_name"`
	MachineID   string  `json:"machine_id"`
	GroupID     string  `json:"group_id"`
	GroupName   string  `json:"group_name"`
	Enforcement string  `json:"enforcement"`
	ExtensionID string  `json:"extension_id"`
	Version     *string `json:"version"`
}

func impactDocOf(im application.Impact) impactDoc {
	d := impactDoc{Agents: im.Agents, Enforce: im.Enforce, Audit: im.Audit,
		Groups: make([]groupImpactDoc, len(im.Groups)), Sample: make([]impactedAgentDoc, len(im.Sample))}
	for i, g := range im.Groups {
		d.Groups[i] = groupImpactDoc{GroupID: g.GroupID.String(), GroupName: g.GroupName, Enforcement: string(g.Enforcement), Agents: g.Agents}
	}
	for i, s := range im.Sample {
		d.Sample[i] = impactedAgentDoc{AgentID: s.AgentID.String(), DisplayName: s.DisplayName, MachineID: s.MachineID,
			GroupID: s.GroupID.String(), GroupName: s.GroupName, Enforcement: string(s.Enforcement), ExtensionID: s.ExtensionID, Version: optString(s.Version)}
	}
	return d
}
