package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
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
