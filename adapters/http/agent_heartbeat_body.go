package httpapi

import (
	"bytes"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/protocol/agentv1"
)

// heartbeatVersion is the agent version a heartbeat's body announces ("" for
// none). Every extguard-agent sends the same body, {"agent_version":"V"}
// with a version of printable ASCII; that body is read without the JSON
// decoder and its version taken from the versions seen before, so a fleet's
// heartbeats allocate nothing for their bodies (the decoder, its copy of
// the body, the request struct and the version string were three of a
// heartbeat's four allocations). Any other body goes through the decoder,
// which answers it as before.
func heartbeatVersion(c *fiber.Ctx) (string, error) {
	body := c.Body()
	if len(body) == 0 { // the body is optional
		return "", nil
	}
	if v, ok := plainHeartbeatVersion(body); ok {
		return agentVersions.intern(v), nil
	}
	var req agentv1.HeartbeatRequest
	if err := decodeAgentBody(c, &req, false); err != nil {
		return "", err
	}
	return req.AgentVersion, nil
}

var (
	plainHeartbeatPrefix = []byte(`{"agent_version":"`)
	plainHeartbeatSuffix = []byte(`"}`)
)

// plainHeartbeatVersion is the version of a body of exactly the form
// {"agent_version":"V"}, V printable ASCII without quotes or backslashes:
// what a JSON decoder would read from it, with no escapes to undo.
func plainHeartbeatVersion(body []byte) ([]byte, bool) {
	v, ok := bytes.CutPrefix(body, plainHeartbeatPrefix)
	if !ok {
		return nil, false
	}
	if v, ok = bytes.CutSuffix(v, plainHeartbeatSuffix); !ok {
		return nil, false
	}
	for _, b := range v {
		if b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return nil, false
		}
	}
	return v, true
}

// versionTable interns agent versions: a fleet runs a handful at a time.
// Reads take no lock (a map replaced whole when a version is added).
type versionTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// maxAgentVersions bounds the table: an agent may announce any string, and
// past the bound versions are allocated per request, as before.
const maxAgentVersions = 64

// maxInternedVersionLength bounds what the table keeps of one version: a
// version longer than the domain allows (agent.MaxAgentVersionLength, in
// characters; the plain reading takes ASCII only, a byte each) is refused
// with 400 after this, and kept it would pin up to a body's size (1 MiB)
// for the life of the process, 64 MiB for a full table of them.
const maxInternedVersionLength = agent.MaxAgentVersionLength

var agentVersions versionTable

// intern returns v as a string, from the table when it is there; only a
// version of a length the domain accepts is added.
func (t *versionTable) intern(v []byte) string {
	if len(v) == 0 || len(v) > maxInternedVersionLength {
		return string(v)
	}
	if m := t.m.Load(); m != nil {
		if s, ok := (*m)[string(v)]; ok { // a lookup by string(v) does not allocate
			return s
		}
	}
	s := string(v)
	t.mu.Lock()
	defer t.mu.Unlock()
	current := map[string]string{}
	if m := t.m.Load(); m != nil {
		current = *m
	}
	if _, ok := current[s]; !ok && len(current) < maxAgentVersions {
		next := maps.Clone(current)
		next[s] = s
		t.m.Store(&next)
	}
	return s
}
