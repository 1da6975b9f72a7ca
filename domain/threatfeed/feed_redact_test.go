package threatfeed

import "testing"

// Audit rows of a feed show where it is fetched from, never the token a
// private feed's URL may carry.
func TestRedactedURLDropsCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://main.vscode-cdn.net/extensions/marketplace.json":    "https://main.vscode-cdn.net/extensions/marketplace.json",
		"https://user:secret@feeds.example.com/bad.json?token=abc#x": "https://feeds.example.com/bad.json",
		"": "",
	} {
		if got := (Feed{url: in}).RedactedURL(); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
