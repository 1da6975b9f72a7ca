package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/client"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/nativepolicy"
	"github.com/extguard/extguard/protocol/agentv1"
)

// refreshInventory runs discovery when the editors' folders changed (or always with full, which also
// recomputes every content digest) and marks a report as needed when the inventory differs.
func (a *agent) refreshInventory(full bool) error {
	// The installed editor policy is one small file or registry value: read at every poll.
	if np := nativepolicy.Read(a.o.GOOS, a.o.NativePolicy); np != a.nativePolicy {
		a.nativePolicy, a.reportNeeded = np, true
		if np.Error != "" {
			a.log.Warn("installed editor policy", "source", np.Source, "error", np.Error)
		}
	}
	fp := discovery.FingerprintScope(a.scope)
	if !full && a.insts != nil && fp == a.fingerprint {
		return nil
	}
	if err := discovery.CheckHome(a.o.Home); err != nil {
		return err // the agent's own home must be usable; the others may come and go
	}
	insts := discovery.DiscoverScope(a.scope, discovery.Options{ComputeDigests: true})
	a.fingerprint, a.insts = fp, insts
	inv := discovery.Inventory(insts)
	if full || !slices.Equal(inv, a.inventory) {
		a.reportNeeded = true
	}
	a.inventory = inv
	a.logNewWarnings()
	return nil
}

// logNewWarnings logs each discovery warning once per run: a corrupt file stays corrupt for days.
func (a *agent) logNewWarnings() {
	for _, in := range a.insts {
		for _, w := range in.Warnings {
			if !a.warned[w] {
				a.warned[w] = true
				a.log.Warn("discovery", "editor", in.Editor, "profile", in.Profile, "warning", w)
			}
		}
	}
}

func (a *agent) fullReportDue() bool {
	return time.Since(a.lastReportAt) >= a.o.FullReportInterval
}

// queueReportIfNeeded writes the report to the on-disk queue; delivery is a separate step so that a
// report survives the server being away and the agent restarting.
func (a *agent) queueReportIfNeeded(res *passResult) error {
	if !a.reportNeeded {
		return nil
	}
	b, err := json.Marshal(a.buildReport(time.Now()))
	if err != nil {
		return err
	}
	if err := a.queue.Push(b); err != nil {
		return fmt.Errorf("queueing report: %w", err)
	}
	a.reportNeeded, a.pendingRows, a.lastReportAt = false, nil, time.Now()
	res.queued++
	return nil
}

// buildReport is the inventory, plus a row installed: false for each extension enforcement removed
// or could not install, unless the editor still has it (the inventory is the truth).
func (a *agent) buildReport(now time.Time) agentv1.Report {
	rows := make([]agentv1.ReportedExtension, 0, len(a.inventory)+len(a.pendingRows))
	installed := map[string]bool{}
	for _, it := range a.inventory {
		rows = append(rows, agentv1.ReportedExtension{ExtensionID: it.ExtensionID, Installed: true,
			Version: it.Version, SHA256: it.SHA256, Editor: it.Editor})
		installed[rowKey(it.Editor, it.ExtensionID)] = true
	}
	for _, r := range a.pendingRows {
		if !installed[rowKey(r.Editor, r.ExtensionID)] {
			rows = append(rows, r)
		}
	}
	np := a.nativePolicy
	return agentv1.Report{ReportedAt: now.UTC().Truncate(time.Second), PolicyETag: a.policy.ETag, Extensions: rows, NativePolicy: &np}
}

func rowKey(editor, id string) string { return editor + "\x00" + strings.ToLower(id) }

// deliver sends the queued reports, oldest first, and keeps the verdict of the newest: the server
// judges each report against its current policy, so that verdict is the one to act on. A report the
// server refuses for good (invalid, too large, too old) is dropped so it cannot block the queue.
func (a *agent) deliver(ctx context.Context, res *passResult) error {
	names, err := a.queue.Pending()
	if err != nil {
		return err
	}
	for i, name := range names {
		var r agentv1.Report
		b, err := a.queue.Read(name)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil {
			a.log.Warn("unreadable queued report dropped", "file", name, "error", err)
			_ = a.queue.Remove(name)
			continue
		}
		v, err := a.client.Report(ctx, r)
		switch {
		case client.IsPermanent(err):
			a.log.Error("report refused by the server, dropped", "reported_at", r.ReportedAt, "error", err)
		case err != nil:
			a.offline = true
			return fmt.Errorf("sending report: %w", err)
		default:
			res.delivered++
			if i == len(names)-1 {
				res.verdict = &v
			}
		}
		if err := a.queue.Remove(name); err != nil {
			return err
		}
	}
	a.offline = false
	return nil
}
