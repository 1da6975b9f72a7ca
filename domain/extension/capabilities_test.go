package extension

import (
	"strings"
	"testing"
)

func TestCapabilitiesAddedByANewVersion(t *testing.T) {
	v1, err := ParseCapabilities([]byte(`{"main":"./out/main.js","activationEvents":["onLanguage:python"],
		"extensionDependencies":["ms-python.debugpy"],"extensionKind":"workspace"}`), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := ParseCapabilities([]byte(`{"main":"./out/main.js","browser":"./web.js","activationEvents":["onLanguage:python","*"],
		"extensionDependencies":["MS-Python.debugpy","evil.helper"],"extensionPack":["a.b"],"enabledApiProposals":["terminalDataWriteEvent"],
		"extensionKind":["ui","workspace"],"capabilities":{"untrustedWorkspaces":{"supported":true}}}`),
		[]string{"bin/helper", "native/x.node"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !v2.AlwaysRunning || v1.AlwaysRunning || v2.UntrustedWorkspaces != "true" {
		t.Fatalf("%+v", v2)
	}
	got := strings.Join(v1.Added(v2), "\n")
	want := strings.Join([]string{
		"always running (activation *)",
		"activation event *",
		"web entry point (browser) ./web.js",
		"new dependency evil.helper",
		"new extension pack member a.b",
		"proposed API terminalDataWriteEvent",
		"runs in untrusted workspaces (true)",
		"extension kind ui",
		"native or executable file bin/helper",
		"native or executable file native/x.node",
	}, "\n")
	if got != want {
		t.Fatalf("added:\n%s\nwant:\n%s", got, want)
	}
	if added := v2.Added(v1); len(added) != 0 {
		t.Fatalf("an older version adds %v", added)
	}
	if added := v2.Added(v2); len(added) != 0 {
		t.Fatalf("the same version adds %v", added)
	}
	if _, err := ParseCapabilities([]byte(`{"main":`), nil, 0); err == nil {
		t.Fatal("a broken manifest parsed")
	}
	limited, _ := ParseCapabilities([]byte(`{"capabilities":{"untrustedWorkspaces":{"supported":"limited","description":"x"}}}`), nil, 0)
	if limited.UntrustedWorkspaces != "limited" || limited.ActivationEvents == nil {
		t.Fatalf("%+v", limited)
	}
}
