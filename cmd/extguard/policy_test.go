package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyLintVSCodeExitCodes: 0 for a clean policy, 2 with the findings
// printed (readable and --json), 1 for a file without a value or bad usage;
// the configuration is never read.
func TestPolicyLintVSCodeExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := write("clean.json", `{"AllowedExtensions": "{\"*\": false, \"a.b\": true}"}`)
	bad := write("bad.reg", "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\VSCode]\r\n"+
		`"AllowedExtensions"="{\"*\": false, \"acme\": [\"1.0.0\"], \"a.b\": \"latest\"}"`+"\r\n")
	empty := write("empty.txt", "hello")
	noConfig := func(k string) string { t.Errorf("the configuration was read (%s)", k); return "" }
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"policy", "lint-vscode", clean}, 0, "0 finding(s)"},
		{[]string{"policy", "lint-vscode", bad}, 2, "over-broad   acme: versions on a publisher are ignored"},
		{[]string{"policy", "lint-vscode", empty}, 1, ""},
		{[]string{"policy", "lint-vscode"}, 1, ""},
		{[]string{"policy", "lint-vscode", filepath.Join(dir, "missing")}, 1, ""},
		{[]string{"policy", "frobnicate"}, 1, ""},
		{[]string{"policy", "--help"}, 0, "usage: extguard policy"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, noConfig, &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.out) {
			t.Errorf("extguard %s: exit %d, want %d\nstdout %s\nstderr %s", strings.Join(c.args, " "), code, c.code, stdout.String(), stderr.String())
		}
	}
	var stdout bytes.Buffer
	if code := run([]string{"policy", "lint-vscode", "--json", bad}, noConfig, &stdout, &bytes.Buffer{}); code != 2 {
		t.Fatalf("--json: exit %d", code)
	}
	var doc struct {
		Format   string `json:"format"`
		Findings []struct{ Key, Effect string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Format != "reg" || len(doc.Findings) != 2 {
		t.Fatalf("--json: %v %s", err, stdout.String())
	}
}
