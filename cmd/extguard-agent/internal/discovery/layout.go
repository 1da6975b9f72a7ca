package discovery

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// editorLocation is one place an editor of the VS Code family keeps extensions: the shared
// extensions folder (relative to home, slash-separated) and, when the editor supports profiles, its
// user-data folder, whose User/profiles/<id>/extensions.json lists each non-default profile's set.
// docs/agent-editors.md lists every row with its source.
type editorLocation struct {
	editor        string
	extensionsDir string
	userDataDir   string // "" when profiles are not looked for
}

// appDataDir is where an Electron editor keeps user data on each OS, without consulting the
// environment (XDG_CONFIG_HOME, APPDATA): the agent must find the same folders whatever shell, service
// manager or scheduled task started it.
func appDataDir(goos, name string) string {
	switch goos {
	case "darwin":
		return path.Join("Library/Application Support", name)
	case "windows":
		return path.Join("AppData/Roaming", name)
	default: // linux and the other unixes follow the XDG default
		return path.Join(".config", name)
	}
}

// desktopEditor is an editor installed on the machine: <home>/<dataFolder>/extensions (the
// product's dataFolderName, the same on every OS) and its user data in the OS's app-data folder.
func desktopEditor(goos, editor, dataFolder, userDataName string) editorLocation {
	return editorLocation{editor, dataFolder + "/extensions", appDataDir(goos, userDataName)}
}

// remoteServer is the server an editor installs on a machine it connects to (Remote-SSH, WSL,
// containers): <home>/<serverDataFolder>/extensions, with user data (and profiles) in .../data.
func remoteServer(editor, serverDataFolder string) editorLocation {
	return editorLocation{editor, serverDataFolder + "/extensions", serverDataFolder + "/data"}
}

func editorLocations(goos string) []editorLocation {
	return []editorLocation{
		desktopEditor(goos, "vscode", ".vscode", "Code"),
		desktopEditor(goos, "vscode-insiders", ".vscode-insiders", "Code - Insiders"),
		desktopEditor(goos, "vscodium", ".vscode-oss", "VSCodium"),
		desktopEditor(goos, "cursor", ".cursor", "Cursor"),
		desktopEditor(goos, "windsurf", ".windsurf", "Windsurf"),
		desktopEditor(goos, "devin", ".devin", "Devin"), // Windsurf's new name
		desktopEditor(goos, "trae", ".trae", "Trae"),
		desktopEditor(goos, "positron", ".positron", "Positron"),
		desktopEditor(goos, "kiro", ".kiro", "Kiro"),
		desktopEditor(goos, "antigravity", ".antigravity", "Antigravity"),
		// code-server keeps XDG paths on every OS.
		{"code-server", ".local/share/code-server/extensions", ".local/share/code-server"},
		remoteServer("vscode-server", ".vscode-server"),
		remoteServer("vscode-server", ".vscode-server-insiders"),
		remoteServer("vscodium-server", ".vscodium-server"),
		remoteServer("cursor-server", ".cursor-server"),
		remoteServer("windsurf-server", ".windsurf-server"),
		remoteServer("trae-server", ".trae-server"),
		remoteServer("kiro-server", ".kiro-server"),
	}
}

// ExtensionsDir is an extensions folder outside the editors' defaults: a portable install's
// data/extensions, a folder given to the editor with --extensions-dir or VSCODE_EXTENSIONS.
type ExtensionsDir struct {
	Editor string // the editor that uses it; "" means vscode
	Dir    string // absolute host path
}

// ParseExtensionsDir reads the agent's --extensions-dir value: DIR, or EDITOR=DIR when the folder
// belongs to another editor of the family (EDITOR must be one discovery knows, so a folder whose
// name contains "=" is still taken whole).
func ParseExtensionsDir(s string) ExtensionsDir {
	if ed, dir, ok := strings.Cut(s, "="); ok && slices.Contains(Editors(), ed) {
		return ExtensionsDir{Editor: ed, Dir: dir}
	}
	return ExtensionsDir{Dir: s}
}

// Editors names every editor discovery reports, in its table's order.
func Editors() []string {
	var out []string
	for _, l := range editorLocations("linux") {
		if !slices.Contains(out, l.editor) {
			out = append(out, l.editor)
		}
	}
	return out
}

// Scope is what one discovery looks at: every home's default editor folders and the configured
// extensions folders.
type Scope struct {
	Homes          []string
	ExtensionsDirs []ExtensionsDir
	GOOS           string // path conventions; "" means this machine's
}

// root is one extensions folder to examine, as host paths.
type root struct {
	editor, extDir, userDataDir, home string
	configured                        bool
}

// roots lists the scope's extensions folders, each once (a configured folder that is also a
// default one keeps its default row, so it is not reported twice).
func (s Scope) roots() []root {
	var out []root
	seen := map[string]bool{}
	add := func(r root) {
		key := filepath.Clean(r.extDir)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, r)
	}
	for _, home := range s.Homes {
		for _, loc := range editorLocations(s.GOOS) {
			r := root{editor: loc.editor, extDir: hostPath(home, loc.extensionsDir), home: home}
			if loc.userDataDir != "" {
				r.userDataDir = hostPath(home, loc.userDataDir)
			}
			add(r)
		}
	}
	for _, d := range s.ExtensionsDirs {
		if d.Dir == "" {
			continue
		}
		r := root{editor: d.Editor, extDir: filepath.Clean(d.Dir), configured: true}
		if r.editor == "" {
			r.editor = "vscode"
		}
		// A portable install keeps data/extensions next to data/user-data (with its profiles).
		if filepath.Base(r.extDir) == "extensions" {
			if ud := filepath.Join(filepath.Dir(r.extDir), "user-data"); isDir(ud) {
				r.userDataDir = ud
			}
		}
		add(r)
	}
	return out
}

// UserHomes lists the home folders of the machine's users under root ("/" or, on Windows, the
// system drive "C:\"; tests pass a temporary folder), for an agent running as a service: Linux
// /home/* and /root, macOS /Users/*, Windows Users\*, without the system's shared profiles.
// Folders the agent may not list are left out.
func UserHomes(goos, root string) []string {
	var parent string
	skip := map[string]bool{}
	var out []string
	switch goos {
	case "darwin":
		parent, skip["Shared"], skip["Guest"] = filepath.Join(root, "Users"), true, true
	case "windows":
		parent = filepath.Join(root, "Users")
		for _, n := range []string{"Public", "Default", "Default User", "All Users", "defaultuser0", "WDAGUtilityAccount"} {
			skip[n] = true
		}
	default:
		parent = filepath.Join(root, "home")
		if isDir(filepath.Join(root, "root")) {
			out = append(out, filepath.Join(root, "root"))
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return out
	}
	for _, e := range entries {
		if skip[e.Name()] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if p := filepath.Join(parent, e.Name()); isDir(p) {
			out = append(out, p)
		}
	}
	return out
}
