package sbomtest

import "testing"

// The validator refuses what the schema does: it is not a check that passes
// everything.
func TestCheckRefusesInvalidBOMs(t *testing.T) {
	ok := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"application","name":"x"}]}`
	if err := Check([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"bomFormat":"SPDX","specVersion":"1.6"}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"plugin","name":"x"}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"application","name":"x","hashes":[{"alg":"SHA-256","content":"zz"}]}]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"not-a-urn"}`,
	} {
		if Check([]byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
