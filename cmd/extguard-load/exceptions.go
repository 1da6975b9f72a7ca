package main

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/dialect/pgdialect"
)

// exceptionExtension is what the load run's excepted agents are allowed.
const exceptionExtension = "load.excepted"

// grantExceptions gives every k-th agent (share of the fleet) a live
// exception, as approved requests would, and learns each agent's ETag (an
// excepted agent's differs from its group's), so the policy phase sends
// every agent the If-None-Match it holds and measures 304s for both kinds.
func grantExceptions(ctx context.Context, s *server, f *fleet, share float64) (int, error) {
	f.etags = make([]string, len(f.agents))
	for i := range f.etags {
		f.etags[i] = f.etag
	}
	if share <= 0 {
		return 0, nil
	}
	var excepted []string
	every := max(1, int(1/share+0.5))
	for i := 0; i < len(f.agents); i += every {
		excepted = append(excepted, f.agents[i])
	}
	if _, err := s.db.NewRaw(`INSERT INTO agent_exceptions (id, agent_id, extension_id, created_at)
SELECT gen_random_uuid(), a, ?, now() FROM unnest(?::uuid[]) AS a`, exceptionExtension, pgdialect.Array(excepted)).Exec(ctx); err != nil {
		return 0, err
	}
	s.exceptions.ExceptionsChanged(ctx)
	c := newClient(s.agentURL, 32)
	for i := 0; i < len(f.agents); i += every {
		status, resp, err := c.do("POST", "/api/v1/agent/heartbeat", f.key, f.agents[i], "", nil)
		if err != nil || status != 200 {
			return 0, fmt.Errorf("heartbeat of an excepted agent: %d %s %v", status, resp, err)
		}
		if f.etags[i] = jsonField(resp, "policy_etag"); f.etags[i] == f.etag {
			return 0, fmt.Errorf("an excepted agent got its group's ETag")
		}
	}
	return len(excepted), nil
}
