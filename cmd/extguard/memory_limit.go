package main

import (
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// memoryLimitShare is the share of the cgroup's memory limit given to the
// Go runtime as its soft limit. The runtime's limit counts the memory the
// runtime manages (heap, stacks, its own structures); the cgroup also
// charges the page cache of files the process writes (the worker's VSIX
// downloads) and memory the runtime has freed but not yet returned, so a
// tenth is left for those.
const (
	memoryLimitShareNum = 9
	memoryLimitShareDen = 10
)

// minMemoryLimit is the smallest soft limit set from a cgroup. A soft
// limit under what the process keeps live does not keep it under the
// kernel's limit; it only makes the collector run all the time (up to the
// runtime's cap, half the CPU): a cgroup limit of a few bytes or
// megabytes (a typo, a unit left out: "512" for 512Mi) would slow the
// server to a crawl before the kernel stopped it. Below this, nothing is
// set and that is logged.
const minMemoryLimit = 64 << 20

// setMemoryLimit gives the Go runtime a soft memory limit from the
// process's cgroup when GOMEMLIMIT is unset. The runtime does not read the
// cgroup's limit itself, and with GOGC=100 the heap grows to twice what is
// live before it is collected: a fleet's agent API whose live heap is a
// third of its pod's limit can be OOM-killed at a peak it would have
// collected away. Below the soft limit nothing changes; near it the
// collector runs earlier (its CPU is capped by the runtime, so a live heap
// above the limit slows the process rather than stopping it). GOMEMLIMIT,
// also "off", wins; root is "/" but for tests. It returns the limit set, or
// 0.
func setMemoryLimit(getenv func(string) string, root string, log *slog.Logger) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit, ok := cgroupMemoryLimit(root)
	if !ok {
		return 0
	}
	soft := limit / memoryLimitShareDen * memoryLimitShareNum
	if soft < minMemoryLimit {
		log.Warn("cgroup memory limit too small to set the Go memory limit from; none set",
			"cgroup_limit_bytes", limit, "minimum_gomemlimit_bytes", int64(minMemoryLimit))
		return 0
	}
	debug.SetMemoryLimit(soft)
	log.Info("Go memory limit set from the cgroup's (GOMEMLIMIT unset)", "cgroup_limit_bytes", limit, "gomemlimit_bytes", soft)
	return soft
}

// cgroupMemoryLimit is the smallest memory limit on the process's cgroup
// and its ancestors: cgroup v2's memory.max, else v1's
// memory.limit_in_bytes; ok is false when there is none.
func cgroupMemoryLimit(root string) (limit int64, ok bool) {
	raw, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(raw)) {
		// "hierarchy-id:controllers:path"; v2 is "0::path".
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			if l, found := smallestLimit(filepath.Join(root, "sys/fs/cgroup"), f[2], "memory.max"); found {
				return l, true
			}
		case slices.Contains(strings.Split(f[1], ","), "memory"):
			if l, found := smallestLimit(filepath.Join(root, "sys/fs/cgroup/memory"), f[2], "memory.limit_in_bytes"); found {
				return l, true
			}
		}
	}
	return 0, false
}

// smallestLimit reads file in cgroup dir under mount and in each ancestor
// up to the mount: a container's cgroup namespace shows its own cgroup as
// "/", and one without a namespace may show a path its mount does not
// have, so missing files are skipped.
func smallestLimit(mount, dir, file string) (limit int64, found bool) {
	for p := path.Clean("/" + dir); ; p = path.Dir(p) {
		if l, ok := readLimit(filepath.Join(mount, filepath.FromSlash(p), file)); ok && (!found || l < limit) {
			limit, found = l, true
		}
		if p == "/" {
			return limit, found
		}
	}
}

// unlimited: v1 writes "no limit" as the largest page-aligned int64.
const unlimited = 1 << 62

func readLimit(file string) (int64, bool) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64) // v2's "max" fails here: no limit
	if err != nil || n <= 0 || n >= unlimited {
		return 0, false
	}
	return n, true
}
