package discovery_test

import (
	"testing"

	"github.com/extguard/extguard/cmd/extguard-agent/internal/discovery"
)

func TestFingerprintChangesWhenTheEditorsChangeTheirExtensions(t *testing.T) {
	f := newFixture(t)
	folder := f.ext(".vscode/extensions", "ms-python", "python", "2024.2.1", "")
	f.extensionsJSON(".vscode/extensions/extensions.json", ".vscode/extensions",
		listing{id: "ms-python.python", version: "2024.2.1", folder: folder})

	before := discovery.Fingerprint(f.home, "linux")
	if again := discovery.Fingerprint(f.home, "linux"); again != before {
		t.Fatal("fingerprint changed with nothing changed")
	}

	other := f.ext(".vscode/extensions", "evil", "pack", "0.0.3", "")
	f.extensionsJSON(".vscode/extensions/extensions.json", ".vscode/extensions",
		listing{id: "ms-python.python", version: "2024.2.1", folder: folder},
		listing{id: "evil.pack", version: "0.0.3", folder: other})
	installed := discovery.Fingerprint(f.home, "linux")
	if installed == before {
		t.Fatal("installing an extension did not change the fingerprint")
	}

	f.extensionsJSON(".config/Code/User/profiles/-7a1b2c/extensions.json", ".vscode/extensions")
	withProfile := discovery.Fingerprint(f.home, "linux")
	if withProfile == installed {
		t.Fatal("a new profile's extension list did not change the fingerprint")
	}

	// A folder copied in by hand (no extensions.json update) whose package.json lands after the
	// agent looked: the folder's own change must be seen.
	f.write(".vscode/extensions/hand.copied-1.0.0/README.md", []byte("# copied\n"))
	partial := discovery.Fingerprint(f.home, "linux")
	f.write(".vscode/extensions/hand.copied-1.0.0/package.json", []byte(`{"publisher":"hand","name":"copied","version":"1.0.0"}`))
	if discovery.Fingerprint(f.home, "linux") == partial || partial == withProfile {
		t.Fatal("a hand-copied extension folder did not change the fingerprint")
	}
}
