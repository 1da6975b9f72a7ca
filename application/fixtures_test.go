package application_test

// Builders of valid domain values the use-case tests start from.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/extguard/extguard/domain"
	"github.com/extguard/extguard/domain/agent"
	"github.com/extguard/extguard/domain/apikey"
	"github.com/extguard/extguard/domain/audit"
	"github.com/extguard/extguard/domain/blocklist"
	"github.com/extguard/extguard/domain/extension"
	"github.com/extguard/extguard/domain/group"
	"github.com/extguard/extguard/domain/user"
)

var someAdmin = audit.Actor{Type: audit.ActorUser, ID: domain.NewID()}

// newUser is a stored user with the password "correct horse battery".
func newUser(t *testing.T, email string, role user.Role) user.User {
	t.Helper()
	u, err := user.NewUser(user.UserParams{Email: email, PasswordHash: "plain:correct horse battery",
		DisplayName: email, Role: string(role), CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

// newKey is a live key of groupID with scopes.
func newKey(t *testing.T, groupID domain.ID, scopes ...string) apikey.Key {
	t.Helper()
	secret, err := apikey.GenerateSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := apikey.NewKey(apikey.KeyParams{ID: domain.NewID(), GroupID: groupID, Secret: secret, Name: "k",
		Scopes: scopes, CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const pinnedSHA = "1111111111111111111111111111111111111111111111111111111111111111"

// newEntry is a catalog entry pinned to 1.0.0 with a checksum and a
// marketplace URL, so revalidation can check it.
func newEntry(t *testing.T) extension.Entry {
	t.Helper()
	e, err := extension.NewEntry(extension.EntryParams{ExtensionID: "acme.tool", Name: "Tool", PinnedVersion: "1.0.0",
		SHA256: pinnedSHA, MarketplaceURL: "https://marketplace.example.com/acme.tool-1.0.0.vsix", CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newBlock(t *testing.T, patternType, pattern string) blocklist.Entry {
	t.Helper()
	e, err := blocklist.NewEntry(blocklist.EntryParams{PatternType: patternType, Pattern: pattern, Reason: "r", CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newGroup(t *testing.T, name, settings string) group.Group {
	t.Helper()
	s, err := group.ParseSettings([]byte(settings))
	if err != nil {
		t.Fatal(err)
	}
	g, err := group.NewGroup(group.GroupParams{Name: name, Settings: s, CreatedAt: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newAgent(t *testing.T, groupID domain.ID) agent.Agent {
	t.Helper()
	userHash := sha256.Sum256([]byte("ann"))
	a, err := agent.NewAgent(agent.EnrollParams{GroupID: groupID, MachineID: "machine-1", UserHash: hex.EncodeToString(userHash[:]),
		DisplayName: "laptop", Platform: "linux", AgentVersion: "1.0.0", Now: fixedClock{}.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
