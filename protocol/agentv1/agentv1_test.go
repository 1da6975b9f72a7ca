package agentv1_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/extguard/extguard/protocol/agentv1"
)

// strictDecode fails on any field the type does not have: the examples below are the protocol's
// documents, so a renamed or missing field here is a broken contract.
func strictDecode(t *testing.T, doc string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%T does not read %s: %v", v, doc, err)
	}
}

func TestTheProtocolsDocumentsDecodeFieldForField(t *testing.T) {
	var enroll agentv1.EnrollRequest
	strictDecode(t, `{"machine_id":"4c4c4544-0042-3510-8052-b4c04f4e3732","user_hash":"ab","display_name":"alice-laptop",
		"platform":"linux-x64","agent_version":"1.0.0"}`, &enroll)
	var enrollment agentv1.Enrollment
	strictDecode(t, `{"agent_id":"a","group_id":"g","heartbeat_interval_s":60,"policy_etag":"\"p-9f2c\""}`, &enrollment)
	var hb agentv1.HeartbeatAnswer
	strictDecode(t, `{"policy_etag":"\"p-9f2c\"","heartbeat_interval_s":60}`, &hb)
	var p agentv1.Policy
	strictDecode(t, `{"etag":"\"p-9f2c\"","group_id":"g","mode":"allowlist","enforcement":"enforce",
		"required":[{"extension_id":"ms-python.python","version":"2024.2.1","sha256":"s","content_sha256":"c","download_url":"https://x"}],
		"allowed":[{"extension_id":"esbenp.prettier-vscode","version":null,"content_sha256":null}],
		"blocked":[{"pattern_type":"publisher","pattern":"evil","reason":"malware"}],"generated_at":"2026-11-26T17:00:00Z"}`, &p)
	if *p.Required[0].ContentSHA256 != "c" || p.Allowed[0].Version != nil {
		t.Fatalf("policy read as %+v", p)
	}
	var r agentv1.Report
	strictDecode(t, `{"reported_at":"2026-11-26T17:00:05Z","policy_etag":"\"p-9f2c\"","extensions":[
		{"extension_id":"evil.pack","installed":false,"version":"0.0.3","sha256":"d","editor":"cursor"}]}`, &r)
	var v agentv1.Verdict
	strictDecode(t, `{"compliant":false,"violations":[{"extension_id":"evil.pack","kind":"blocked","detail":"publisher evil",
		"editors":["cursor"]}],"actions":[{"action":"install","extension_id":"a.b","version":"1","download_url":"https://x","sha256":"s"}]}`, &v)
	var pr agentv1.Problem
	strictDecode(t, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"invalid report",
		"errors":[{"field":"reported_at","message":"is required"}]}`, &pr)
}

// TestUnpinnedFieldsAreNull: the protocol sends null, not "", where nothing is pinned.
func TestUnpinnedFieldsAreNull(t *testing.T) {
	b, err := json.Marshal(agentv1.Policy{Required: []agentv1.RequiredExtension{{ExtensionID: "a.b"}},
		Allowed: []agentv1.AllowedExtension{{ExtensionID: "c.d"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"extension_id":"a.b","version":null,"sha256":null,"content_sha256":null,"download_url":null}`,
		`{"extension_id":"c.d","version":null,"content_sha256":null}`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}
