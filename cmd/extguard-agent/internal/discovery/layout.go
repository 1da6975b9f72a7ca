package discovery

import "path"

// editorLocation is one place an editor of the VS Code family keeps extensions: the shared
// extensions folder (relative to home, slash-separated) and, when the editor supports profiles, its
// user-data folder, whose User/profiles/<id>/extensions.json lists each non-default profile's set.
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

func editorLocations(goos string) []editorLocation {
	return []editorLocation{
		{"vscode", ".vscode/extensions", appDataDir(goos, "Code")},
		{"vscode-insiders", ".vscode-insiders/extensions", appDataDir(goos, "Code - Insiders")},
		{"vscodium", ".vscode-oss/extensions", appDataDir(goos, "VSCodium")},
		{"cursor", ".cursor/extensions", appDataDir(goos, "Cursor")},
		{"windsurf", ".windsurf/extensions", appDataDir(goos, "Windsurf")},
		// code-server keeps XDG paths on every OS.
		{"code-server", ".local/share/code-server/extensions", ".local/share/code-server"},
		{"vscode-server", ".vscode-server/extensions", ".vscode-server/data"},
		{"vscode-server", ".vscode-server-insiders/extensions", ".vscode-server-insiders/data"},
	}
}
