package httpapi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/extguard/extguard/protocol/agentv1"
)

// The plain reading of a heartbeat body answers what the JSON decoder
// reads from it, or steps aside; the bodies an agent sends take it.
func FuzzPlainHeartbeatVersion(f *testing.F) {
	for _, seed := range []string{`{"agent_version":"1.4.2"}`, `{"agent_version":"0.0.0-dev+abc1234.dirty"}`,
		`{"agent_version":""}`, `{"agent_version":"dev"}`, `{"agent_version":"1\u002e2"}`, `{"agent_version":"a\"b"}`,
		`{"agent_version":"1.2" }`, `{ "agent_version":"1.2"}`, `{"AGENT_VERSION":"1.2"}`, `{"agent_version":"é"}`,
		`{"agent_version":"1.2","x":1}`, `{"agent_version":"1.2"}{`, `{"agent_version":"1.2"}` + "\n", `{"agent_version":"a\tb"}`,
		`{"agent_version":"1.2"`, `{}`, `null`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, ok := plainHeartbeatVersion(body)
		if !ok {
			return
		}
		var req agentv1.HeartbeatRequest
		if err := jsonDecode(body, &req); err != nil || req.AgentVersion != string(v) {
			t.Fatalf("%q: read %q plainly, the decoder %q (error %v)", body, v, req.AgentVersion, err)
		}
	})
}

func TestPlainHeartbeatVersionTakesWhatAgentsSend(t *testing.T) {
	for _, v := range []string{"1.4.2", "0.0.0-dev+abc1234.dirty", "dev", ""} {
		body, err := jsonEncode(agentv1.HeartbeatRequest{AgentVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		if v == "" { // omitempty: {}, which the decoder reads
			continue
		}
		if got, ok := plainHeartbeatVersion(body); !ok || string(got) != v {
			t.Errorf("%s: read %q (plain %v), want %q", body, got, ok, v)
		}
	}
}

// Known versions come back without an allocation; past the bound, versions
// are still answered, only not kept.
func TestVersionTableInternsUpToItsBound(t *testing.T) {
	var table versionTable
	known := []byte("1.4.2")
	if got := table.intern(known); got != "1.4.2" {
		t.Fatalf("intern %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = table.intern(known) }); n != 0 {
		t.Errorf("a known version cost %.0f allocations, want 0", n)
	}
	for i := range 2 * maxAgentVersions {
		v := fmt.Sprintf("9.%d.0", i)
		if got := table.intern([]byte(v)); got != v {
			t.Fatalf("intern %q answered %q", v, got)
		}
	}
	if n := len(*table.m.Load()); n != maxAgentVersions {
		t.Errorf("%d versions kept, want the bound %d", n, maxAgentVersions)
	}
}

// A version the domain refuses for its length is answered (and then
// refused with 400) but never kept: kept, 64 of them of a body's size
// would pin 64 MiB for the life of the process.
func TestVersionTableKeepsNoVersionTooLongToBeValid(t *testing.T) {
	var table versionTable
	long := bytes.Repeat([]byte("9"), maxInternedVersionLength+1)
	if got := table.intern(long); got != string(long) {
		t.Fatalf("intern of a long version answered %d bytes, want %d", len(got), len(long))
	}
	if m := table.m.Load(); m != nil && len(*m) != 0 {
		t.Errorf("a version of %d bytes was kept", len(long))
	}
	longest := bytes.Repeat([]byte("9"), maxInternedVersionLength)
	table.intern(longest)
	if m := table.m.Load(); m == nil || (*m)[string(longest)] == "" {
		t.Errorf("a version of the longest valid length (%d) was not kept", len(longest))
	}
}

// heartbeatVersionOf runs heartbeatVersion, and the decoder's reading
// heartbeats had before it (decodeAgentBody, body optional), on body.
func heartbeatVersionOf(app *fiber.App, body []byte) (got, was string, gotErr, wasErr error) {
	rc := &fasthttp.RequestCtx{}
	rc.Request.SetBody(body)
	c := app.AcquireCtx(rc)
	defer app.ReleaseCtx(c)
	got, gotErr = heartbeatVersion(c)
	if len(c.Body()) > 0 {
		var req agentv1.HeartbeatRequest
		if wasErr = decodeAgentBody(c, &req, false); wasErr == nil { // the handler answers the error alone
			was = req.AgentVersion
		}
	}
	return got, was, gotErr, wasErr
}

// heartbeatBodySeeds are bodies at the plain reading's edges: escapes,
// whitespace, duplicate and differently cased keys, other types, control
// characters and invalid UTF-8 inside and outside the string, a version
// too long to be valid, trailing data.
var heartbeatBodySeeds = []string{`{"agent_version":"1.4.2"}`, `{"agent_version":"\u0031.4.2"}`, `{"agent_version":"1.4\/2"}`,
	`{"agent_version":"1.4.2\u0000"}`, "{\"agent_version\":\"1.4\x002\"}", "{\"agent_version\":\"1.4\x7f\"}",
	"{\"agent_version\":\"1.4\xff\"}", "{\"agent_version\":\"\xc3\xa9\"}", "{\"agent_version\":\"1.4\n\"}",
	`{"agent_version":"a","agent_version":"b"}`, `{"agent_version":"a","Agent_Version":"b"}`, `{"Agent_Version":"1.2"}`,
	`{"agent_version":1.2}`, `{"agent_version":null}`, `{"agent_version":["1"]}`, `{"agent_version":"1.2","extra":{}}`,
	" {\"agent_version\":\"1.2\"}", "{\"agent_version\" : \"1.2\"}", "\t\r\n", `{"agent_version":"1.2"}}`, `{"agent_version":"1.2"}"}`,
	`{"agent_version":"` + strings.Repeat("9", 70_000) + `"}`, `{"agent_version":"` + strings.Repeat("9", 65) + `"}`,
	`{"agent_version":"\"}`, `{"agent_version":"\\"}`, `{"agent_version":""}`, `{}`, `[]`, `null`, `"1.2"`}

// Whatever the body, heartbeatVersion answers what the decoder answered
// before it: the same version, or an error with the same message (so the
// same problem+json). The plain reading only ever saves the decoder work.
func FuzzHeartbeatVersionAnswersAsTheDecoder(f *testing.F) {
	for _, seed := range heartbeatBodySeeds {
		f.Add([]byte(seed))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		got, was, gotErr, wasErr := heartbeatVersionOf(app, body)
		if got != was || fmt.Sprint(gotErr) != fmt.Sprint(wasErr) {
			t.Fatalf("%q: version %q (error %v), the decoder's %q (error %v)", body, got, gotErr, was, wasErr)
		}
	})
}
