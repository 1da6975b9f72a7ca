//go:build !windows

package nativepolicy

func hostRegistry(string, string) (string, string, bool, error) { return "", "", false, ErrNoRegistry }
