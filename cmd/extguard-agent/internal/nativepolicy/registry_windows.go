package nativepolicy

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// hostRegistry reads HKLM first (machine policy wins in VS Code), then HKCU.
func hostRegistry(key, value string) (string, string, bool, error) {
	for _, hive := range []struct {
		root registry.Key
		name string
	}{{registry.LOCAL_MACHINE, `HKLM\`}, {registry.CURRENT_USER, `HKCU\`}} {
		k, err := registry.OpenKey(hive.root, key, registry.QUERY_VALUE)
		if errors.Is(err, registry.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", hive.name + key, false, err
		}
		// GetStringValue grows its buffer to whatever the value holds: ask the size first, so a
		// runaway value costs an error, not the agent's memory (UTF-16: two bytes a character).
		if n, _, err := k.GetValue(value, nil); err == nil && n > 2*maxPolicyBytes {
			k.Close()
			return "", hive.name + key, false, fmt.Errorf("%s%s %s: over %d bytes", hive.name, key, value, maxPolicyBytes)
		}
		s, _, err := k.GetStringValue(value)
		k.Close()
		switch {
		case errors.Is(err, registry.ErrNotExist):
			continue
		case err != nil:
			return "", hive.name + key, false, err
		}
		return s, hive.name + key, true, nil
	}
	return "", "", false, nil
}
