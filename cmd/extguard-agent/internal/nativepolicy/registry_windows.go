package nativepolicy

import (
	"errors"

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
