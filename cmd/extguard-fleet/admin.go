package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// admin is what the run set up through the admin API.
type admin struct {
	token, groupID string
	agentKeys      []string // agent i uses agentKeys[i % len]
}

// keyOf is the agent key agent i enrolls and talks with.
func (a admin) keyOf(i int) string { return a.agentKeys[i%len(a.agentKeys)] }

func (a admin) auth() map[string]string {
	return map[string]string{"Authorization": "Bearer " + a.token}
}

// setUp logs in and creates an enforce group in blocklist mode with the
// run's heartbeat interval and its agent keys.
func setUp(ctx context.Context, c *client, o options) (admin, error) {
	var a admin
	var login struct {
		Token string `json:"token"`
	}
	if _, _, err := c.do(ctx, "admin", "POST", "/api/v1/auth/login", nil,
		map[string]string{"email": o.adminEmail, "password": o.adminPassword}, &login); err != nil {
		return a, fmt.Errorf("login: %w", err)
	}
	a.token = login.Token
	var g struct {
		ID string `json:"id"`
	}
	settings := map[string]any{"mode": "blocklist", "enforcement": "enforce", "heartbeat_interval_s": o.heartbeat}
	name := "fleet-" + strconv.FormatInt(time.Now().Unix(), 10)
	if _, _, err := c.do(ctx, "admin", "POST", "/api/v1/groups", a.auth(), map[string]any{"name": name, "settings": settings}, &g); err != nil {
		return a, fmt.Errorf("group: %w", err)
	}
	a.groupID = g.ID
	// A key's rate limit is sized for a few hundred thousand agents
	// (application.DefaultAgentRateLimits): a larger fleet gets more keys,
	// as a real one would.
	for i := range (o.fleet + o.agentsPerKey - 1) / o.agentsPerKey {
		var k struct {
			Key string `json:"key"`
		}
		if _, _, err := c.do(ctx, "admin", "POST", "/api/v1/groups/"+g.ID+"/api-keys", a.auth(),
			map[string]any{"name": name + "-" + strconv.Itoa(i), "scopes": []string{"agent"}}, &k); err != nil {
			return a, fmt.Errorf("agent key: %w", err)
		}
		a.agentKeys = append(a.agentKeys, k.Key)
	}
	return a, nil
}

// incidentWaitIntervals bounds the wait for "who has X" to reach zero, in
// heartbeat intervals: issue 18 asks for three, and a run that does not
// get there in ten has its answer (and still owes its report).
const incidentWaitIntervals = 10

// incidentUntil is when the wait for zero gives up: at the run's end, and
// at most incidentWaitIntervals heartbeat intervals after the block.
func incidentUntil(now, runEnd time.Time, heartbeatSeconds int) time.Time {
	bound := now.Add(incidentWaitIntervals * time.Duration(heartbeatSeconds) * time.Second)
	if runEnd.Before(bound) {
		return runEnd
	}
	return bound
}

// incidentResult is what the incident showed.
type incidentResult struct {
	blocked bool
	reached bool          // "who has X" answered nobody
	took    time.Duration // to zero, or how long it waited in vain
	holding int64         // agents still holding X when the wait ended; -1: unknown
}

// summary is the report's incident line.
func (r incidentResult) summary(extensionID string, heartbeatSeconds int) string {
	intervals := r.took.Seconds() / float64(heartbeatSeconds)
	if r.reached {
		return fmt.Sprintf("incident: \"who has X\" reached zero %s after the block (%.1f heartbeat intervals)", r.took.Round(time.Millisecond), intervals)
	}
	holding := "an unknown number of"
	if r.holding >= 0 {
		holding = strconv.FormatInt(r.holding, 10)
	}
	return fmt.Sprintf("incident: not zero after %s (%.1f heartbeat intervals): %s agents still hold %s", r.took.Round(time.Millisecond), intervals, holding, extensionID)
}

// runIncident blocks the incident extension and measures how long "who has
// it" (GET /api/v1/installations in the run's group, polled every 250 ms)
// takes to reach zero, waiting until until at most: the main loop is
// inside this call, so a wait past the run's end delayed its report, or,
// when zero never came, lost it.
func (f *fleet) runIncident(ctx context.Context, until time.Time) incidentResult {
	start := time.Now()
	if _, _, err := f.c.do(ctx, "admin", "POST", "/api/v1/blocklist", f.admin.auth(),
		map[string]any{"pattern_type": "exact", "pattern": f.incidentID, "reason": "fleet simulator incident"}, nil); err != nil {
		fmt.Println("block:", err)
		return incidentResult{}
	}
	fmt.Printf("blocked %s at %s; waiting for zero until %s\n", f.incidentID, start.Format(time.TimeOnly), until.Format(time.TimeOnly))
	wait, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	path := "/api/v1/installations?limit=1&extension_id=" + url.QueryEscape(f.incidentID) + "&group_id=" + f.admin.groupID
	for {
		var page struct {
			Items []any `json:"items"`
		}
		if _, _, err := f.c.do(wait, "who-has", "GET", path, f.admin.auth(), nil, &page); err == nil && len(page.Items) == 0 {
			return incidentResult{blocked: true, reached: true, took: time.Since(start)}
		}
		select {
		case <-wait.Done():
			res := incidentResult{blocked: true, took: time.Since(start), holding: -1}
			count, cancelCount := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancelCount()
			if n, err := f.holding(count); err == nil {
				res.holding = n
			}
			return res
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// holding counts the run's agents that still have the incident extension
// installed, from the server's database (the API answers pages, no count).
func (f *fleet) holding(ctx context.Context) (int64, error) {
	conn, err := pgx.Connect(ctx, f.o.databaseURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, `SELECT count(DISTINCT agent_id) FROM installations WHERE extension_id = $1 AND group_id = $2`,
		f.incidentID, f.admin.groupID).Scan(&n)
	return n, err
}
