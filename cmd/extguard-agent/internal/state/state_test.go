package state_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/state"
	"github.com/extguard/extguard/cmd/extguard-agent/internal/tempdir"
)

func open(t *testing.T) *state.Store {
	t.Helper()
	s, err := state.Open(filepath.Join(tempdir.New(t), "nested", "state"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestEnrollmentIsPrivateAndSurvivesReopening(t *testing.T) {
	s := open(t)
	e := state.Enrollment{Server: "https://x", KeySHA256: state.KeyFingerprint("k"), AgentID: "a-1", HeartbeatIntervalS: 60}
	if err := s.SaveEnrollment(e); err != nil {
		t.Fatal(err)
	}
	s2, err := state.Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := s2.Enrollment()
	if err != nil || !found || got != e {
		t.Fatalf("Enrollment() = %+v %v %v, want %+v", got, found, err, e)
	}
	if !got.Matches("https://x", "k") || got.Matches("https://x", "other") || got.Matches("https://y", "k") {
		t.Fatal("Matches must hold only for the same server and key")
	}
	if runtime.GOOS != "windows" {
		if m := mode(t, filepath.Join(s.Dir(), "enrollment.json")); m != 0o600 {
			t.Errorf("enrollment.json mode %o, want 600", m)
		}
		if m := mode(t, s.Dir()); m != 0o700 {
			t.Errorf("state dir mode %o, want 700", m)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Dir(), ".*tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestSecretIsCreatedOnceThenStable(t *testing.T) {
	s := open(t)
	a, err := s.Secret("salt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Secret("salt")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || len(a) != 64 {
		t.Fatalf("secrets %q then %q; want one stable 64-hex value", a, b)
	}
	if other, _ := s.Secret("machine-id"); other == a {
		t.Fatal("two secrets share a value")
	}
}

func TestCorruptStateFileIsAnErrorNotAPanic(t *testing.T) {
	s := open(t)
	if err := os.WriteFile(filepath.Join(s.Dir(), "enrollment.json"), []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enrollment(); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v, want corrupt", err)
	}
}

func TestReportQueueDropsOldestBeyondItsBounds(t *testing.T) {
	s := open(t)
	q, err := s.Reports(3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := q.Push([]byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	names, err := q.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		b, _ := q.Read(n)
		got = append(got, string(b))
	}
	if want := `{"n":2} {"n":3} {"n":4}`; strings.Join(got, " ") != want {
		t.Fatalf("queue holds %v, want %s", got, want)
	}
	if err := q.Remove(names[0]); err != nil {
		t.Fatal(err)
	}
	if names, _ = q.Pending(); len(names) != 2 {
		t.Fatalf("after Remove: %v", names)
	}
}

func TestReportQueueByteBoundKeepsTheNewest(t *testing.T) {
	q, err := open(t).Reports(50, 100)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := q.Push([]byte(strings.Repeat("x", 60))); err != nil {
			t.Fatal(err)
		}
	}
	if names, _ := q.Pending(); len(names) != 1 {
		t.Fatalf("%d reports kept under a 100-byte bound with 60-byte reports, want 1", len(names))
	}
	if err := q.Push([]byte(strings.Repeat("y", 500))); err != nil {
		t.Fatal(err)
	}
	names, _ := q.Pending()
	if b, _ := q.Read(names[len(names)-1]); len(names) != 1 || b[0] != 'y' {
		t.Fatalf("an oversized newest report must be kept alone; queue = %v", names)
	}
}

func TestDefaultDirFollowsEachOSConvention(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := env(nil)
	cases := []struct {
		goos, home string
		getenv     func(string) string
		want       string
	}{
		{"linux", "/home/a", none, "/home/a/.local/state/extguard-agent"},
		{"linux", "/home/a", env(map[string]string{"XDG_STATE_HOME": "/xdg"}), "/xdg/extguard-agent"},
		{"linux", "/home/a", env(map[string]string{"XDG_STATE_HOME": "rel"}), "/home/a/.local/state/extguard-agent"},
		{"darwin", "/Users/a", none, "/Users/a/Library/Application Support/extguard-agent"},
		{"windows", "/c/a", env(map[string]string{"LOCALAPPDATA": "/c/a/AppData/Local"}), "/c/a/AppData/Local/extguard-agent"},
	}
	for _, tc := range cases {
		if runtime.GOOS == "windows" && tc.goos != "windows" {
			continue // "/xdg" is not an absolute path on a Windows host
		}
		got, err := state.DefaultDir(tc.goos, filepath.FromSlash(tc.home), tc.getenv)
		if err != nil || got != filepath.FromSlash(tc.want) {
			t.Errorf("DefaultDir(%s, %s) = %q, %v; want %q", tc.goos, tc.home, got, err, tc.want)
		}
	}
	if _, err := state.DefaultDir("linux", "", none); err == nil {
		t.Error("no home and no XDG_STATE_HOME must be an error")
	}
}
