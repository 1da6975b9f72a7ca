package httpapi

import "github.com/extguard/extguard/application"

// verdictImpactDoc is a plan's verdict impact: the candidate policy judged
// against current inventories, group by group.
type verdictImpactDoc struct {
	TurnNonCompliant int               `json:"turn_non_compliant"`
	TurnCompliant    int               `json:"turn_compliant"`
	Uninstalls       int               `json:"uninstalls"`        // agent × extension, enforce groups only
	RequiredInstalls int               `json:"required_installs"` // agent × required extension it lacks, enforce groups only
	Groups           []groupVerdictDoc `json:"groups"`
}

type groupVerdictDoc struct {
	GroupID          string                `json:"group_id"`
	GroupName        string                `json:"group_name"`
	Mode             string                `json:"mode"`
	Enforcement      string                `json:"enforcement"`
	TurnNonCompliant int                   `json:"turn_non_compliant"`
	TurnCompliant    int                   `json:"turn_compliant"`
	Uninstalls       int                   `json:"uninstalls"`
	RequiredInstalls int                   `json:"required_installs"`
	Extensions       []extensionVerdictDoc `json:"extensions"` // why, by extension
	Sample           []agentVerdictDoc     `json:"sample"`     // the first agents by id, at most 20
}

type extensionVerdictDoc struct {
	ExtensionID  string `json:"extension_id"`
	Kind         string `json:"kind"` // the violation that appears (or goes)
	NonCompliant int    `json:"non_compliant"`
	Compliant    int    `json:"compliant"`
	Uninstalls   int    `json:"uninstalls"`
	Installs     int    `json:"installs"`
}

type agentVerdictDoc struct {
	AgentID   string   `json:"agent_id"`
	Becomes   *string  `json:"becomes"` // non_compliant, compliant, or null when only its actions change
	Uninstall []string `json:"uninstall"`
	Install   []string `json:"install"`
}

func verdictImpactDocOf(v application.VerdictImpact) verdictImpactDoc {
	d := verdictImpactDoc{TurnNonCompliant: v.TurnNonCompliant, TurnCompliant: v.TurnCompliant, Uninstalls: v.Uninstalls,
		RequiredInstalls: v.RequiredInstalls, Groups: make([]groupVerdictDoc, len(v.Groups))}
	for i, g := range v.Groups {
		gd := groupVerdictDoc{GroupID: g.GroupID.String(), GroupName: g.GroupName, Mode: string(g.Mode), Enforcement: string(g.Enforcement),
			TurnNonCompliant: g.TurnNonCompliant, TurnCompliant: g.TurnCompliant, Uninstalls: g.Uninstalls, RequiredInstalls: g.RequiredInstalls,
			Extensions: make([]extensionVerdictDoc, len(g.Extensions)), Sample: make([]agentVerdictDoc, len(g.Sample))}
		for j, x := range g.Extensions {
			gd.Extensions[j] = extensionVerdictDoc{ExtensionID: x.ExtensionID.String(), Kind: string(x.Kind), NonCompliant: x.NonCompliant,
				Compliant: x.Compliant, Uninstalls: x.Uninstalls, Installs: x.Installs}
		}
		for j, a := range g.Sample {
			ad := agentVerdictDoc{AgentID: a.AgentID.String(), Becomes: optString(a.Becomes), Uninstall: []string{}, Install: []string{}}
			for _, id := range a.Uninstall {
				ad.Uninstall = append(ad.Uninstall, id.String())
			}
			for _, id := range a.Install {
				ad.Install = append(ad.Install, id.String())
			}
			gd.Sample[j] = ad
		}
		d.Groups[i] = gd
	}
	return d
}
