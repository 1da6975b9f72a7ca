package identity_test

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/identity"
)

var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func files(m map[string]string) identity.Sources {
	return identity.Sources{
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := m[p]; ok {
				return []byte(v), nil
			}
			return nil, fs.ErrNotExist
		},
		Output: func(context.Context, string, ...string) ([]byte, error) { return nil, errors.New("no such command") },
	}
}

func output(out string) identity.Sources {
	return identity.Sources{Output: func(context.Context, string, ...string) ([]byte, error) { return []byte(out), nil }}
}

func noFallback() (string, error) { return "", errors.New("fallback used") }

func TestLinuxMachineIDIsStableAppSpecificAndNotTheRawID(t *testing.T) {
	raw := "0123456789abcdef0123456789abcdef"
	a, err := identity.MachineID(context.Background(), "linux", files(map[string]string{"/etc/machine-id": raw + "\n"}), noFallback)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := identity.MachineID(context.Background(), "linux", files(map[string]string{"/var/lib/dbus/machine-id": raw}), noFallback)
	if a != b || !uuidShape.MatchString(a) {
		t.Fatalf("ids %q and %q: want one UUID from either file", a, b)
	}
	if a == "01234567-89ab-cdef-0123-456789abcdef" {
		t.Fatal("the raw machine id must not be sent")
	}
}

func TestMachineIDFallsBackToThePersistedRandomID(t *testing.T) {
	got, err := identity.MachineID(context.Background(), "linux", files(nil), func() (string, error) {
		return "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", nil
	})
	if err != nil || got != "ffeeddcc-bbaa-9988-7766-554433221100" {
		t.Fatalf("MachineID = %q, %v", got, err)
	}
}

func TestMacOSAndWindowsIDsAreParsedFromTheirTools(t *testing.T) {
	ioreg := `+-o J316sAP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0 (0 ms), retain 36>
    {
      "IOPlatformSerialNumber" = "C02XXXXXXX"
      "IOPlatformUUID" = "6F2A9A3C-1B7E-5C3D-9E1F-0A1B2C3D4E5F"
    }`
	got, err := identity.MachineID(context.Background(), "darwin", output(ioreg), noFallback)
	if err != nil || got != "6f2a9a3c-1b7e-5c3d-9e1f-0a1b2c3d4e5f" {
		t.Fatalf("darwin: %q, %v", got, err)
	}
	reg := "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d\r\n\r\n"
	got, err = identity.MachineID(context.Background(), "windows", output(reg), noFallback)
	if err != nil || got != "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d" {
		t.Fatalf("windows: %q, %v", got, err)
	}
	if _, ok := identity.ParseIOPlatformUUID([]byte(`"IOPlatformUUID" = "not-a-uuid"`)); ok {
		t.Error("a malformed IOPlatformUUID was accepted")
	}
}

func TestUserHashDependsOnSaltAndName(t *testing.T) {
	h := identity.UserHash("salt-a", "alice")
	if len(h) != 64 || h == identity.UserHash("salt-b", "alice") || h == identity.UserHash("salt-a", "bob") {
		t.Fatalf("UserHash must be a 64-hex value that changes with salt and name; got %q", h)
	}
	if h != identity.UserHash("salt-a", "alice") {
		t.Fatal("UserHash is not deterministic")
	}
}

func TestPlatformUsesTheEditorsNames(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"linux", "amd64"}:   "linux-x64",
		{"darwin", "arm64"}:  "darwin-arm64",
		{"windows", "amd64"}: "win32-x64",
	} {
		if got := identity.Platform(in[0], in[1]); got != want {
			t.Errorf("Platform(%v) = %q, want %q", in, got, want)
		}
	}
}
