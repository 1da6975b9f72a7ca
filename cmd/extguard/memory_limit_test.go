package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"
)

// fakeRoot writes files (path -> content) under a directory standing for "/".
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// The limit is the smallest on the process's cgroup and its ancestors,
// in cgroup v2 and v1; "max", v1's "no limit" and missing files are none.
func TestCgroupMemoryLimitFindsTheSmallestOnThePath(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2 in a container's namespace", map[string]string{"proc/self/cgroup": "0::/\n",
			"sys/fs/cgroup/memory.max": "536870912\n"}, 512 << 20},
		{"v2, a parent's limit under an unlimited leaf", map[string]string{"proc/self/cgroup": "0::/system.slice/extguard.service\n",
			"sys/fs/cgroup/system.slice/extguard.service/memory.max": "max\n",
			"sys/fs/cgroup/system.slice/memory.max":                  "1073741824\n"}, 1 << 30},
		{"v2, the leaf's smaller than its parent's", map[string]string{"proc/self/cgroup": "0::/a/b\n",
			"sys/fs/cgroup/a/b/memory.max": "268435456\n", "sys/fs/cgroup/a/memory.max": "1073741824\n"}, 256 << 20},
		{"v2 unlimited", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "max\n"}, 0},
		{"v1 with a host path the container's mount lacks", map[string]string{
			"proc/self/cgroup":                           "4:memory:/kubepods/pod1/abc\n3:cpu,cpuacct:/kubepods/pod1/abc\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "805306368\n"}, 768 << 20},
		{"v1 unlimited", map[string]string{"proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{"no cgroup file", map[string]string{}, 0},
		{"v2 beyond int64, a parent's limit counts", map[string]string{"proc/self/cgroup": "0::/a\n",
			"sys/fs/cgroup/a/memory.max": "99999999999999999999\n", "sys/fs/cgroup/memory.max": "1073741824"}, 1 << 30},
		{"v2 empty, negative and garbage files are no limit", map[string]string{"proc/self/cgroup": "0::/a/b/c\n",
			"sys/fs/cgroup/a/b/c/memory.max": "", "sys/fs/cgroup/a/b/memory.max": "-1\n", "sys/fs/cgroup/a/memory.max": "512M\n"}, 0},
		{"hybrid: v2 without the memory controller, v1's limit", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n0::/\n",
			"sys/fs/cgroup/unified/cgroup.controllers":   "\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "805306368\n"}, 768 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := cgroupMemoryLimit(fakeRoot(t, c.files))
			if got != c.want || ok != (c.want > 0) {
				t.Fatalf("limit %d (found %v), want %d", got, ok, c.want)
			}
		})
	}
}

// Unset, GOMEMLIMIT becomes nine tenths of the cgroup's limit; set (also
// to "off"), it is the operator's and nothing is changed.
func TestSetMemoryLimitOnlyWhenGOMEMLIMITIsUnset(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	root := fakeRoot(t, map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "1000000000\n"})
	log := slog.New(slog.DiscardHandler)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOMEMLIMIT" {
				return v
			}
			return ""
		}
	}
	if got := setMemoryLimit(env("off"), root, log); got != 0 || debug.SetMemoryLimit(-1) != before {
		t.Fatalf("GOMEMLIMIT=off: set %d, runtime limit %d; want it left alone", got, debug.SetMemoryLimit(-1))
	}
	if got := setMemoryLimit(env(""), root, log); got != 900_000_000 || debug.SetMemoryLimit(-1) != 900_000_000 {
		t.Fatalf("GOMEMLIMIT unset: set %d, runtime limit %d; want 900000000", got, debug.SetMemoryLimit(-1))
	}
}

// A cgroup limit whose nine tenths would be under minMemoryLimit ("1", a
// unit left out) sets nothing: such a soft limit would keep the collector
// running all the time. The smallest limit that passes is set.
func TestSetMemoryLimitNeverSetsATinyLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.DiscardHandler)
	unset := func(string) string { return "" }
	smallest := (int64(minMemoryLimit) + memoryLimitShareNum - 1) / memoryLimitShareNum * memoryLimitShareDen // its nine tenths reach the minimum
	for _, limit := range []int64{1, 9, 512, 64 << 20, smallest - memoryLimitShareDen} {
		root := fakeRoot(t, map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": strconv.FormatInt(limit, 10) + "\n"})
		if got := setMemoryLimit(unset, root, log); got != 0 || debug.SetMemoryLimit(-1) != before {
			t.Errorf("cgroup limit %d: set %d, runtime limit %d; want it left alone", limit, got, debug.SetMemoryLimit(-1))
		}
	}
	root := fakeRoot(t, map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": strconv.FormatInt(smallest, 10) + "\n"})
	if got := setMemoryLimit(unset, root, log); got < minMemoryLimit || debug.SetMemoryLimit(-1) != got {
		t.Errorf("cgroup limit %d: set %d, runtime limit %d; want at least %d", smallest, got, debug.SetMemoryLimit(-1), minMemoryLimit)
	}
}
