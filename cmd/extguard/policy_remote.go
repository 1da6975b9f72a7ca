package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// policyRemote runs plan or apply against a server's admin API.
func policyRemote(cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "the policy file (YAML or JSON)")
	server := fs.String("server", "http://localhost:8080", "the extguard server")
	prune := fs.Bool("prune", false, "delete what the file does not mention")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	revision := fs.String("revision", "", "apply only at this revision (a reviewed plan's); default: plan now")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "extguard policy "+cmd+": "+format+"\n", a...)
		return 1
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, policyUsage)
			return 0
		}
		return fail("%v\n\n%s", err, policyUsage)
	}
	if (*file == "") != (cmd == "export") || fs.NArg() != 0 || (*revision != "" && cmd != "apply") {
		return fail("want -f FILE (export takes none), --revision only on apply, and no other arguments\n\n%s", policyUsage)
	}
	if err := checkServer(*server); err != nil {
		return fail("%v", err)
	}
	key := getenv("EXTGUARD_API_KEY")
	if key == "" {
		return fail("set EXTGUARD_API_KEY to an admin-scoped API key")
	}
	// Redirects are not followed: Go keeps the Authorization header on a
	// redirect to the same host, http:// included, which would undo
	// checkServer; a 3xx answer is reported as an error instead.
	c := apiClient{base: strings.TrimRight(*server, "/"), key: key, http: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if cmd == "export" {
		raw, err := c.do(http.MethodGet, "/api/v1/policy/export", nil)
		if err != nil {
			return fail("%v", err)
		}
		_, _ = stdout.Write(raw)
		return 0
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return fail("%v", err)
	}
	// apply --revision R applies at the revision of the plan CI showed for
	// review (say on the pull request), so a change made on the server
	// since then is refused instead of being planned over silently.
	plan := planAnswer{Revision: *revision}
	if plan.Revision == "" {
		if err := c.post("/api/v1/policy/plan", map[string]any{"file": string(body), "prune": *prune}, &plan); err != nil {
			return fail("%s: %v", *file, err)
		}
	}
	if cmd == "plan" {
		if *asJSON {
			writeJSON(stdout, plan.raw)
		} else {
			printPlan(stdout, plan)
		}
		if len(plan.Changes) > 0 {
			return 2
		}
		return 0
	}
	var applied appliedAnswer
	if err := c.post("/api/v1/policy/apply", map[string]any{"file": string(body), "prune": *prune, "revision": plan.Revision}, &applied); err != nil {
		return fail("%s: %v", *file, err)
	}
	if *asJSON {
		writeJSON(stdout, applied.raw)
		return 0
	}
	if len(applied.Changes) == 0 {
		fmt.Fprintln(stdout, "Nothing to apply: the server already holds this policy.")
		return 0
	}
	printChanges(stdout, applied.Changes)
	fmt.Fprintf(stdout, "Applied %d change(s) as change set %s.\n", len(applied.Changes), applied.ChangeSetID)
	return 0
}

func writeJSON(w io.Writer, raw json.RawMessage) {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		b.Reset()
		b.Write(raw)
	}
	b.WriteByte('\n')
	_, _ = w.Write(b.Bytes())
}

// apiClient posts JSON to the admin API with a bearer API key.
type apiClient struct {
	base, key string
	http      *http.Client
}

func (c apiClient) post(path string, in any, out interface{ setRaw(json.RawMessage) }) error {
	body, _ := json.Marshal(in)
	raw, err := c.do(http.MethodPost, path, body)
	if err != nil {
		return err
	}
	out.setRaw(raw)
	return json.Unmarshal(raw, out)
}

// do sends one request and answers the body of a 200.
func (c apiClient) do(method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, problemError(resp.StatusCode, raw)
	}
	return raw, nil
}

func (p *planAnswer) setRaw(r json.RawMessage)    { p.raw = r }
func (a *appliedAnswer) setRaw(r json.RawMessage) { a.raw = r }

// problemError renders a problem+json answer with every field error, so a
// bad file's problems show at once with their paths.
func problemError(status int, raw []byte) error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return fmt.Errorf("the server answered %d", status)
	}
	msg := fmt.Sprintf("the server answered %d: %s", status, p.Detail)
	if p.Detail == "" {
		msg = fmt.Sprintf("the server answered %d: %s", status, p.Title)
	}
	for _, e := range p.Errors {
		msg += fmt.Sprintf("\n  %s: %s", e.Field, e.Message)
	}
	return errors.New(msg)
}

// checkServer refuses to send the admin API key in clear text: --server must
// be https, except on the loopback interface (a server on this machine, or
// an SSH tunnel to one), where nothing crosses a network.
func checkServer(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--server %q: want a URL such as https://extguard.example.com", server)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("--server %q: want https (http only to localhost): the API key would cross the network in clear text", server)
}
