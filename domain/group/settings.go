// Package group holds groups of agents and the settings that decide how
// their policy is enforced and when their agents count as stale or offline.
package group

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/extguard/extguard/domain"
)

// Mode decides what an agent may run when no rule names an extension.
type Mode string

const (
	ModeAllowlist Mode = "allowlist" // only assigned extensions are allowed
	ModeBlocklist Mode = "blocklist" // everything but blocked extensions is allowed
)

// Enforcement decides whether agents act on violations or only report them.
type Enforcement string

const (
	EnforcementAudit   Enforcement = "audit"
	EnforcementEnforce Enforcement = "enforce"
)

const (
	DefaultHeartbeatIntervalS = 60
	MinHeartbeatIntervalS     = 10
	MaxHeartbeatIntervalS     = 86400
	DefaultOfflineAfterS      = 86400
	// MaxThresholdS bounds stale/offline thresholds (one year): larger values
	// are typos, and they keep the arithmetic far from overflow.
	MaxThresholdS = 365 * 86400
)

// Settings are a group's validated settings. A zero field means "not set":
// the getters answer the default, which for stale_after_s follows the
// heartbeat interval. Keeping "not set" apart from "set to the default" lets a
// later heartbeat change move a defaulted stale threshold along with it.
// The zero Settings is DefaultSettings().
type Settings struct {
	mode               Mode
	enforcement        Enforcement
	heartbeatIntervalS int
	staleAfterS        int
	offlineAfterS      int
}

// The JSON keys of the settings document (the groups.settings jsonb).
const (
	keyMode        = "mode"
	keyEnforcement = "enforcement"
	keyHeartbeat   = "heartbeat_interval_s"
	keyStale       = "stale_after_s"
	keyOffline     = "offline_after_s"
)

// DefaultSettings is allowlist, audit, 60 s heartbeats, stale after 180 s,
// offline after a day.
func DefaultSettings() Settings { return Settings{} }

// NewSettings validates settings given as values; empty strings and zero
// numbers mean "use the default".
func NewSettings(mode Mode, enforcement Enforcement, heartbeatS, staleS, offlineS int) (Settings, error) {
	s := Settings{mode: mode, enforcement: enforcement, heartbeatIntervalS: heartbeatS, staleAfterS: staleS, offlineAfterS: offlineS}
	var fe domain.FieldErrors
	s.validate(&fe)
	if err := fe.Err("invalid group settings"); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// ParseSettings reads the settings document. Empty input, `null` and `{}`
// are all defaults; unknown keys and wrong types are refused, each named. A
// key set to null means "use the default".
func ParseSettings(raw []byte) (Settings, error) {
	return DefaultSettings().Merge(raw)
}

// Merge applies a PATCH document: keys present in patchRaw replace the
// current values (null resets one to its default); the result is validated
// as a whole.
func (s Settings) Merge(patchRaw []byte) (Settings, error) {
	fields, err := decodeObject(patchRaw)
	if err != nil {
		return Settings{}, err
	}
	var fe domain.FieldErrors
	for _, key := range sortedKeys(fields) {
		s.apply(&fe, key, fields[key])
	}
	s.validate(&fe)
	if err := fe.Err("invalid group settings"); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func decodeObject(raw []byte) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, domain.Invalid("invalid group settings",
			domain.FieldError{Field: "settings", Message: "must be a JSON object"})
	}
	return fields, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Settings) apply(fe *domain.FieldErrors, key string, raw json.RawMessage) {
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	switch key {
	case keyMode:
		s.mode = Mode(stringValue(fe, key, raw, isNull))
	case keyEnforcement:
		s.enforcement = Enforcement(stringValue(fe, key, raw, isNull))
	case keyHeartbeat:
		s.heartbeatIntervalS = intValue(fe, key, raw, isNull)
	case keyStale:
		s.staleAfterS = intValue(fe, key, raw, isNull)
	case keyOffline:
		s.offlineAfterS = intValue(fe, key, raw, isNull)
	default:
		fe.Add(key, "unknown setting; known: mode, enforcement, heartbeat_interval_s, stale_after_s, offline_after_s")
	}
}

func stringValue(fe *domain.FieldErrors, key string, raw json.RawMessage, isNull bool) string {
	var v string
	if isNull {
		return ""
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		fe.Add(key, "must be a string")
		return ""
	}
	if v == "" {
		fe.Add(key, "must not be empty")
	}
	return v
}

func intValue(fe *domain.FieldErrors, key string, raw json.RawMessage, isNull bool) int {
	if isNull {
		return 0
	}
	var n json.Number
	// json.Number also accepts a quoted number; a string is the wrong type.
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		fe.Add(key, "must be an integer number of seconds")
		return 0
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		fe.Add(key, "must be an integer number of seconds")
		return 0
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || v <= 0 || v > MaxThresholdS {
		fe.Add(key, "must be a whole number of seconds between 1 and 31536000")
		return 0
	}
	return int(v)
}

func (s Settings) validate(fe *domain.FieldErrors) {
	if s.mode != "" && s.mode != ModeAllowlist && s.mode != ModeBlocklist {
		fe.Add(keyMode, "must be allowlist or blocklist")
	}
	if s.enforcement != "" && s.enforcement != EnforcementAudit && s.enforcement != EnforcementEnforce {
		fe.Add(keyEnforcement, "must be audit or enforce")
	}
	hb, stale, offline := s.HeartbeatIntervalS(), s.StaleAfterS(), s.OfflineAfterS()
	if s.heartbeatIntervalS < 0 || hb < MinHeartbeatIntervalS || hb > MaxHeartbeatIntervalS {
		fe.Add(keyHeartbeat, "must be between 10 and 86400 seconds")
		return
	}
	if s.staleAfterS < 0 || stale <= hb || stale > MaxThresholdS {
		fe.Add(keyStale, "must be greater than heartbeat_interval_s ("+strconv.Itoa(hb)+") and at most 31536000")
		return
	}
	if s.offlineAfterS < 0 || offline <= stale || offline > MaxThresholdS {
		fe.Add(keyOffline, "must be greater than stale_after_s ("+strconv.Itoa(stale)+") and at most 31536000")
	}
}

// Mode defaults to allowlist: a group nobody configured allows nothing
// unassigned, the safe side.
func (s Settings) Mode() Mode {
	if s.mode == "" {
		return ModeAllowlist
	}
	return s.mode
}

// Enforcement defaults to audit so a new group never uninstalls anything
// before an admin decides it should.
func (s Settings) Enforcement() Enforcement {
	if s.enforcement == "" {
		return EnforcementAudit
	}
	return s.enforcement
}

func (s Settings) HeartbeatIntervalS() int {
	if s.heartbeatIntervalS == 0 {
		return DefaultHeartbeatIntervalS
	}
	return s.heartbeatIntervalS
}

// StaleAfterS defaults to three missed heartbeats.
func (s Settings) StaleAfterS() int {
	if s.staleAfterS == 0 {
		return 3 * s.HeartbeatIntervalS()
	}
	return s.staleAfterS
}

func (s Settings) OfflineAfterS() int {
	if s.offlineAfterS == 0 {
		return DefaultOfflineAfterS
	}
	return s.offlineAfterS
}

// settingsDoc orders the keys of both JSON forms.
type settingsDoc struct {
	Mode               Mode        `json:"mode,omitempty"`
	Enforcement        Enforcement `json:"enforcement,omitempty"`
	HeartbeatIntervalS int         `json:"heartbeat_interval_s,omitempty"`
	StaleAfterS        int         `json:"stale_after_s,omitempty"`
	OfflineAfterS      int         `json:"offline_after_s,omitempty"`
}

// MarshalJSON writes every setting with defaults filled in: what the API
// shows and what the policy is compiled from.
func (s Settings) MarshalJSON() ([]byte, error) {
	return json.Marshal(settingsDoc{s.Mode(), s.Enforcement(), s.HeartbeatIntervalS(), s.StaleAfterS(), s.OfflineAfterS()})
}

// UnmarshalJSON is ParseSettings, so JSON decoding cannot bypass validation.
func (s *Settings) UnmarshalJSON(raw []byte) error {
	parsed, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// ExplicitJSON writes only the settings an admin set, for the jsonb column:
// defaults stay defaults (and follow the heartbeat) after a round trip.
func (s Settings) ExplicitJSON() []byte {
	b, _ := json.Marshal(settingsDoc{s.mode, s.enforcement, s.heartbeatIntervalS, s.staleAfterS, s.offlineAfterS})
	return b
}
