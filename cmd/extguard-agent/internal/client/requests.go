package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/extguard/extguard/protocol/agentv1"
)

// RequestExtension files a request for an extension; created is false when
// the server answered this agent's pending request for it instead.
func (c *Client) RequestExtension(ctx context.Context, r agentv1.ExtensionRequest) (_ agentv1.RequestAnswer, created bool, err error) {
	var out agentv1.RequestAnswer
	resp, err := c.call(ctx, http.MethodPost, agentv1.PathRequests, r, nil, &out)
	if err != nil {
		return agentv1.RequestAnswer{}, false, err
	}
	return out, resp.StatusCode == http.StatusCreated, nil
}

// Requests lists this agent's requests, every page.
func (c *Client) Requests(ctx context.Context) ([]agentv1.RequestAnswer, error) {
	var all []agentv1.RequestAnswer
	cursor := ""
	for {
		endpoint := agentv1.PathRequests
		if cursor != "" {
			endpoint += "?cursor=" + url.QueryEscape(cursor)
		}
		var page agentv1.RequestList
		if _, err := c.call(ctx, http.MethodGet, endpoint, nil, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Requests...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
}
