package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
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

// runIncident blocks the incident extension and answers how long "who has
// it" (GET /api/v1/installations in the run's group) took to reach zero,
// polled every 250 ms.
func (f *fleet) runIncident(ctx context.Context) time.Duration {
	start := time.Now()
	if _, _, err := f.c.do(ctx, "admin", "POST", "/api/v1/blocklist", f.admin.auth(),
		map[string]any{"pattern_type": "exact", "pattern": f.incidentID, "reason": "fleet simulator incident"}, nil); err != nil {
		fmt.Println("block:", err)
		return 0
	}
	fmt.Printf("blocked %s at %s\n", f.incidentID, start.Format(time.TimeOnly))
	path := "/api/v1/installations?limit=1&extension_id=" + url.QueryEscape(f.incidentID) + "&group_id=" + f.admin.groupID
	for ctx.Err() == nil {
		var page struct {
			Items []any `json:"items"`
		}
		if _, _, err := f.c.do(ctx, "who-has", "GET", path, f.admin.auth(), nil, &page); err == nil && len(page.Items) == 0 {
			return time.Since(start)
		}
		time.Sleep(250 * time.Millisecond)
	}
	return time.Since(start)
}
