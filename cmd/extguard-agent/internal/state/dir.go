package state

import (
	"errors"
	"path/filepath"
)

const appName = "extguard-agent"

// DefaultDir is where the agent keeps state for the user whose home is home, by each OS's
// convention for per-user application state. getenv is os.Getenv outside tests.
func DefaultDir(goos, home string, getenv func(string) string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, appName), nil
		}
		return join(home, "AppData", "Local", appName)
	case "darwin":
		return join(home, "Library", "Application Support", appName)
	default:
		if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) { // the XDG spec ignores relative values
			return filepath.Join(d, appName), nil
		}
		return join(home, ".local", "state", appName)
	}
}

func join(home string, elem ...string) (string, error) {
	if home == "" {
		return "", errors.New("state: no home directory to put the state directory in; use --state-dir")
	}
	return filepath.Join(append([]string{home}, elem...)...), nil
}
