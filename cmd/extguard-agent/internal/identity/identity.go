// Package identity says which machine and which user an agent reports for, without sending either
// in a form that identifies it outside extguard.
package identity

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strings"
	"time"
)

// Sources reads what the platform keeps about the machine. Tests replace it; Host reads this machine.
type Sources struct {
	ReadFile func(string) ([]byte, error)
	Output   func(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Host reads files and runs commands on this machine (without a shell).
var Host = Sources{
	ReadFile: os.ReadFile,
	Output: func(ctx context.Context, name string, args ...string) ([]byte, error) {
		return exec.CommandContext(ctx, name, args...).Output()
	},
}

// linuxAppID keys the app-specific derivation of /etc/machine-id. systemd asks applications not to
// send the raw machine id over the network (machine-id(5)) but a keyed hash of it, which is as
// stable and cannot be joined with other tools' data.
var linuxAppID = []byte("extguard-agent machine id v1")

// MachineID returns a stable id of this machine for goos: systemd's or D-Bus's machine id on Linux
// (as an app-specific UUID), the IOPlatformUUID on macOS, the Cryptography MachineGuid on Windows.
// When the platform has none, fallback is used (a random id persisted in the state directory).
func MachineID(ctx context.Context, goos string, src Sources, fallback func() (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if id, ok := platformMachineID(ctx, goos, src); ok {
		return id, nil
	}
	raw, err := fallback()
	if err != nil {
		return "", fmt.Errorf("machine id: %w", err)
	}
	return uuidFromHex(raw), nil
}

func platformMachineID(ctx context.Context, goos string, src Sources) (string, bool) {
	switch goos {
	case "darwin":
		out, err := src.Output(ctx, "ioreg", "-rd1", "-c", "IOPlatformExpertDevice")
		if err != nil {
			return "", false
		}
		return ParseIOPlatformUUID(out)
	case "windows":
		out, err := src.Output(ctx, "reg", "query", `HKLM\SOFTWARE\Microsoft\Cryptography`, "/v", "MachineGuid")
		if err != nil {
			return "", false
		}
		return ParseMachineGUID(out)
	default:
		for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
			if b, err := src.ReadFile(p); err == nil {
				if id := strings.TrimSpace(string(b)); isHex(id) && len(id) == 32 {
					mac := hmac.New(sha256.New, []byte(id))
					mac.Write(linuxAppID)
					return uuidFromHex(hex.EncodeToString(mac.Sum(nil))), true
				}
			}
		}
		return "", false
	}
}

var (
	ioregUUID = regexp.MustCompile(`"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"`)
	guidRE    = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
)

// ParseIOPlatformUUID finds the IOPlatformUUID in `ioreg -rd1 -c IOPlatformExpertDevice` output.
func ParseIOPlatformUUID(out []byte) (string, bool) {
	m := ioregUUID.FindSubmatch(out)
	if m == nil || !guidRE.Match(m[1]) {
		return "", false
	}
	return strings.ToLower(string(m[1])), true
}

// ParseMachineGUID finds the MachineGuid value in `reg query … /v MachineGuid` output, whose line
// reads "    MachineGuid    REG_SZ    <guid>".
func ParseMachineGUID(out []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && strings.EqualFold(f[0], "MachineGuid") && f[1] == "REG_SZ" && guidRE.MatchString(f[2]) {
			return strings.ToLower(f[2]), true
		}
	}
	return "", false
}

// uuidFromHex shapes the first 32 hex digits of h as a UUID, the form the protocol shows.
func uuidFromHex(h string) string {
	h = strings.ToLower(h)
	if len(h) < 32 || !isHex(h[:32]) {
		sum := sha256.Sum256([]byte(h))
		h = hex.EncodeToString(sum[:])
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s)%2 == 0
}

// UserHash is the hex SHA-256 of a per-install random salt followed by the OS user name. The server
// can tell that reports come from the same user of this install (and tell two users of one machine
// apart) without ever learning the name; the salt keeps anyone from confirming a guessed name by
// hashing it, since it never leaves the machine.
func UserHash(salt, userName string) string {
	sum := sha256.Sum256([]byte(salt + userName))
	return hex.EncodeToString(sum[:])
}

// UserName is the OS user the agent runs as.
func UserName() (string, error) {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v, nil
		}
	}
	return "", errors.New("cannot tell the OS user name")
}

// Platform names the OS and architecture as the editors' target platforms do (linux-x64,
// darwin-arm64, win32-x64).
func Platform(goos, goarch string) string {
	os := map[string]string{"windows": "win32"}[goos]
	if os == "" {
		os = goos
	}
	arch := map[string]string{"amd64": "x64", "386": "ia32", "arm": "armhf"}[goarch]
	if arch == "" {
		arch = goarch
	}
	return os + "-" + arch
}
