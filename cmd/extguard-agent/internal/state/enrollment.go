package state

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

const (
	enrollmentFile = "enrollment.json"
	policyFile     = "policy.json"
)

// Enrollment is what the server told this agent when it enrolled, and against which server and key.
// The key itself is never stored: its hash is enough to notice that the operator changed it (a key of
// another group), which calls for enrolling again.
type Enrollment struct {
	Server             string    `json:"server"`
	KeySHA256          string    `json:"key_sha256"`
	AgentID            string    `json:"agent_id"`
	GroupID            string    `json:"group_id"`
	MachineID          string    `json:"machine_id"`
	HeartbeatIntervalS int       `json:"heartbeat_interval_s"`
	EnrolledAt         time.Time `json:"enrolled_at"`
}

// KeyFingerprint is the hex SHA-256 of an API key.
func KeyFingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Matches reports whether the enrollment was made against server with key.
func (e Enrollment) Matches(server, key string) bool {
	return e.AgentID != "" && e.Server == server && e.KeySHA256 == KeyFingerprint(key)
}

// Enrollment returns the stored enrollment; found is false before the first one.
func (s *Store) Enrollment() (e Enrollment, found bool, err error) {
	found, err = s.Load(enrollmentFile, &e)
	return e, found, err
}

// SaveEnrollment stores e.
func (s *Store) SaveEnrollment(e Enrollment) error { return s.Save(enrollmentFile, e) }

// LoadPolicy decodes the last policy the agent received into v (the client's Policy type), so a
// restarted agent can ask for it with If-None-Match instead of downloading it again.
func (s *Store) LoadPolicy(v any) (bool, error) { return s.Load(policyFile, v) }

// SavePolicy stores the policy the agent now holds.
func (s *Store) SavePolicy(v any) error { return s.Save(policyFile, v) }
