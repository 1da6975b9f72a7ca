// Package application holds the use cases, one file per command or query
// (<resource>_<verb>.go), and the ports they need, declared next to their
// resource (<resource>_ports.go) whoever calls them. This file holds what
// several resources share. It imports the domain only; adapters implement
// the ports and cmd wires them together.
package application

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/extguard/extguard/domain"
)

// Every repository's List takes a PageRequest and
// answers one Page in a stable keyset order; a cursor that was not produced
// by the same list is invalid (field "cursor").
//
// Every read-modify-write goes through a repository's Update(ctx, id,
// change): it locks the row (SELECT ... FOR UPDATE) in the caller's
// transaction, or its own when there is none, calls change with the row as
// committed and stores what change answers. A concurrent Update of the same
// row waits for the transaction to end and then sees its result, so no change
// is lost; an error from change stores nothing and is returned as is. Errors:
// not_found (unknown or deleted), and the repository's own (conflict).

// Transactor runs fn in one database transaction; repositories called with
// the ctx it passes join that transaction. fn runs once: a failed
// transaction is not retried (at READ COMMITTED with row locks there are no
// serialization failures to retry; a deadlock is returned as an error).
// Errors: whatever fn returns, or unavailable when the database cannot be
// reached.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Clock tells the time; tests pin it.
type Clock interface {
	Now() time.Time
}

// TargetGuard refuses a URL extguard will connect to (a webhook's url, a
// catalog entry's marketplace_url) when it names a literal loopback,
// private, link-local or metadata address and the operator does not allow
// private targets. Host names are resolved and checked again at dial time,
// since DNS can change between the write and the connection. Errors:
// invalid naming field.
type TargetGuard interface {
	Check(field, rawURL string) error
}

// RateSubject is what a limit counts: a kind and an identity, either an id
// (agents, keys) or a name (a login's account or address). It is a value
// rather than a formatted string because the agent API checks two limits
// on every request and formatting them was a measurable share of a
// heartbeat.
type RateSubject struct {
	Kind string
	ID   domain.ID
	Name string
}

// String is "kind:identity", the subject's name in the shared store.
func (s RateSubject) String() string {
	if s.Name != "" || s.ID.IsZero() {
		return s.Kind + ":" + s.Name
	}
	return s.Kind + ":" + hex.EncodeToString(s.ID[:])
}
