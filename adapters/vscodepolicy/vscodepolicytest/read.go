package vscodepolicytest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// VSCodeKey is the one registry key a .reg rendering may write.
const VSCodeKey = `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\VSCode`

// ReadReg reads a .reg rendering that must write exactly one value,
// AllowedExtensions under VSCodeKey, and returns its rules and the comment
// lines.
func ReadReg(body []byte) (map[string]any, []string, error) {
	f, err := ParseReg(body)
	if err != nil {
		return nil, nil, fmt.Errorf(".reg does not parse strictly: %w", err)
	}
	values := f.Sections[VSCodeKey]
	if len(f.Sections) != 1 || len(values) != 1 {
		return nil, nil, fmt.Errorf(".reg writes sections %q with values %q, want only AllowedExtensions in %s", Keys(f.Sections), values, VSCodeKey)
	}
	value, ok := values["AllowedExtensions"]
	if !ok {
		return nil, nil, fmt.Errorf(".reg values %q", Keys(values))
	}
	rules, err := DecodeRules(value)
	return rules, f.Comments, err
}

// Profile is a configuration profile as extguard writes it.
type Profile struct {
	Top, Payload map[string]PlistValue
	Rules        map[string]any
}

var (
	profileKeys = []string{"PayloadContent", "PayloadDescription", "PayloadDisplayName", "PayloadIdentifier",
		"PayloadScope", "PayloadType", "PayloadUUID", "PayloadVersion"}
	payloadKeys = []string{"AllowedExtensions", "PayloadDisplayName", "PayloadIdentifier", "PayloadType",
		"PayloadUUID", "PayloadVersion"}
)

// ReadProfile reads a .mobileconfig rendering that must hold exactly the
// keys extguard writes, one com.microsoft.VSCode payload and a System scope.
func ReadProfile(body []byte) (Profile, error) {
	v, err := ParsePlist(body)
	if err != nil {
		return Profile{}, fmt.Errorf("profile does not parse: %w", err)
	}
	var p Profile
	p.Top, _ = v.(map[string]PlistValue)
	if got := Keys(p.Top); !reflect.DeepEqual(got, profileKeys) {
		return p, fmt.Errorf("profile keys %q, want %q", got, profileKeys)
	}
	payloads, _ := p.Top["PayloadContent"].([]PlistValue)
	if len(payloads) != 1 {
		return p, fmt.Errorf("want one payload, got %v", p.Top["PayloadContent"])
	}
	p.Payload, _ = payloads[0].(map[string]PlistValue)
	if got := Keys(p.Payload); !reflect.DeepEqual(got, payloadKeys) {
		return p, fmt.Errorf("payload keys %q, want %q", got, payloadKeys)
	}
	if p.Payload["PayloadType"] != "com.microsoft.VSCode" || p.Top["PayloadType"] != "Configuration" || p.Top["PayloadScope"] != "System" {
		return p, fmt.Errorf("the profile's fixed values changed: %v", p.Top)
	}
	value, _ := p.Payload["AllowedExtensions"].(string)
	p.Rules, err = DecodeRules(value)
	return p, err
}

// ReadJSON reads a policy.json rendering: one key, AllowedExtensions.
func ReadJSON(body []byte) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("policy.json: %w", err)
	}
	value, ok := doc["AllowedExtensions"].(string)
	if len(doc) != 1 || !ok {
		return nil, fmt.Errorf("policy.json keys %q", Keys(doc))
	}
	return DecodeRules(value)
}

// Keys are a map's keys, sorted.
func Keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
