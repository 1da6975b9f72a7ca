package discovery

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Inventory flattens installations into what the agent reports: one row per (editor, extension id).
// Protocol v1 rows carry no profile, so when profiles (or a second extensions folder of the same
// editor) hold different copies of an extension, one is chosen deterministically: the highest
// version, then one with a digest, then the first in Discover's order.
func Inventory(insts []Installation) []Item {
	type key struct{ editor, id string }
	chosen := map[key]Item{}
	var order []key
	for _, in := range insts {
		for _, e := range in.Extensions {
			k := key{in.Editor, e.ID}
			cand := Item{ExtensionID: e.ID, Version: e.Version, SHA256: e.ContentSHA256, Editor: in.Editor}
			cur, ok := chosen[k]
			if !ok {
				chosen[k] = cand
				order = append(order, k)
				continue
			}
			if c := compareVersions(cand.Version, cur.Version); c > 0 || (c == 0 && cur.SHA256 == "" && cand.SHA256 != "") {
				chosen[k] = cand
			}
		}
	}
	items := make([]Item, 0, len(order))
	for _, k := range order {
		items = append(items, chosen[k])
	}
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(a.Editor, b.Editor), cmp.Compare(a.ExtensionID, b.ExtensionID))
	})
	return items
}

// compareVersions orders extension versions (semver as the marketplace uses it): numeric
// dot-separated core, a version with a pre-release suffix below the same core without one, and
// plain string order for anything else so the result stays total and deterministic.
func compareVersions(a, b string) int {
	ac, apre, _ := strings.Cut(strings.SplitN(a, "+", 2)[0], "-")
	bc, bpre, _ := strings.Cut(strings.SplitN(b, "+", 2)[0], "-")
	as, bs := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := range max(len(as), len(bs)) {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xerr := strconv.ParseUint(cmp.Or(x, "0"), 10, 64)
		yn, yerr := strconv.ParseUint(cmp.Or(y, "0"), 10, 64)
		if xerr == nil && yerr == nil {
			if c := cmp.Compare(xn, yn); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	switch {
	case apre == "" && bpre != "":
		return 1
	case apre != "" && bpre == "":
		return -1
	}
	return cmp.Compare(a, b)
}

// DefaultProfile is the Profile of the installation an editor uses when no profile is chosen; its
// command line acts on it unless given --profile.
const DefaultProfile = defaultProfileName
