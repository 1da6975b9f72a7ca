package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
)

// scopeFlags are the flags saying whose editors and which extensions folders the agent looks at.
type scopeFlags struct {
	home     string
	allUsers bool
	config   string
	dirs     []string
}

func (s *scopeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.home, "home", "", "home directory to search (default: the user's); with it, no other home is searched")
	fs.BoolVar(&s.allUsers, "all-users", false, "also search every user's home the agent may read (default when run as root)")
	fs.StringVar(&s.config, "config", "", `JSON file: {"extensions_dirs": ["[EDITOR=]DIR", ...], "all_users": true}`)
	fs.Func("extensions-dir", "an extensions folder outside the editors' defaults, [EDITOR=]DIR (EDITOR default vscode); repeatable",
		func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("empty folder")
			}
			s.dirs = append(s.dirs, v)
			return nil
		})
}

// agentConfig is the --config file.
type agentConfig struct {
	ExtensionsDirs []string `json:"extensions_dirs"`
	AllUsers       bool     `json:"all_users"`
}

// machineScope is what the flags resolve to.
type machineScope struct {
	home       string
	otherHomes []string
	dirs       []discovery.ExtensionsDir
}

// resolve reads the config file and the agent's own environment: VSCODE_EXTENSIONS and
// VSCODE_PORTABLE are seen only when the agent runs in the environment the editor was started from
// (a login item or user service that inherits it), never a user's shell settings from a system
// service (docs/agent-editors.md).
func (s *scopeFlags) resolve(getenv func(string) string) (machineScope, error) {
	var m machineScope
	dirs := s.dirs
	allUsers := s.allUsers
	if s.config != "" {
		b, err := os.ReadFile(s.config)
		if err != nil {
			return m, fmt.Errorf("--config: %w", err)
		}
		var c agentConfig
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return m, fmt.Errorf("--config %s: %w", s.config, err)
		}
		dirs = append(c.ExtensionsDirs, dirs...)
		allUsers = allUsers || c.AllUsers
	}
	if v := getenv("VSCODE_EXTENSIONS"); v != "" {
		dirs = append(dirs, v)
	}
	if v := getenv("VSCODE_PORTABLE"); v != "" {
		dirs = append(dirs, filepath.Join(v, "extensions"))
	}
	for _, d := range dirs {
		ed := discovery.ParseExtensionsDir(d)
		if !filepath.IsAbs(ed.Dir) {
			return m, fmt.Errorf("extensions folder %q: not an absolute path", d)
		}
		m.dirs = append(m.dirs, ed)
	}
	m.home = s.home
	if m.home != "" {
		return m, nil // tests and one-user runs: exactly this home
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return m, fmt.Errorf("no home directory (use --home): %w", err)
	}
	m.home = h
	if allUsers || (runtime.GOOS != "windows" && os.Geteuid() == 0) {
		for _, other := range discovery.UserHomes(runtime.GOOS, systemRoot(getenv)) {
			if filepath.Clean(other) != filepath.Clean(h) {
				m.otherHomes = append(m.otherHomes, other)
			}
		}
	}
	return m, nil
}

func systemRoot(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		if d := getenv("SystemDrive"); d != "" {
			return d + `\`
		}
		return `C:\`
	}
	return "/"
}
